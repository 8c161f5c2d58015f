"""Unix-domain sockets (protocol 1.4): names, connections, datagrams, passing descriptors and credentials."""
