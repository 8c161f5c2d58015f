"""The error queue and the blocking mode (protocol 1.7): UDP-ERRQ, NONBLOCK."""
