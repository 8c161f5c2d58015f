"""Options seen on the wire (TCP-WIRE, UDP-WIRE): what segments and datagrams really carry."""
