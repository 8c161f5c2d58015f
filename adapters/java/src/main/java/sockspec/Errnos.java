package sockspec;

import java.net.PortUnreachableException;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;

/**
 * Errno names for java.nio's exceptions. java.nio does not expose errno: exceptions are
 * mapped by type and by the strerror text the JDK puts in their message; anything unknown
 * is EIO with the exception in the message. README.md lists the table. Every name made here
 * is the adapter's choice, so every one is answered with "supplied": true (protocol 1.3).
 */
final class Errnos {
    private Errnos() {
    }

    /*
     * The JDK builds socket exception messages from strerror(3) (sun.nio.ch.Net /
     * NET_ThrowNew / JNU_ThrowIOExceptionWithLastError), and a few from its own text
     * ("Connection reset"). Matched as substrings, first match wins, so longer texts first.
     */
    static final String[][] ERRNO_BY_MESSAGE = {
        {"Connection refused", "ECONNREFUSED"},
        {"Connection reset", "ECONNRESET"}, // "Connection reset" and "Connection reset by peer"
        {"Broken pipe", "EPIPE"},
        {"Address already in use", "EADDRINUSE"},
        {"Cannot assign requested address", "EADDRNOTAVAIL"},
        {"Message too long", "EMSGSIZE"},
        {"Protocol family unavailable", "EAFNOSUPPORT"},
        {"Address family not supported", "EAFNOSUPPORT"},
        {"Network is unreachable", "ENETUNREACH"},
        {"No route to host", "EHOSTUNREACH"},
        {"Connection timed out", "ETIMEDOUT"},
        {"Transport endpoint is not connected", "ENOTCONN"},
        {"Transport endpoint is already connected", "EISCONN"},
        {"Destination address required", "EDESTADDRREQ"},
        {"Permission denied", "EACCES"},
        {"Operation not permitted", "EPERM"},
        {"Invalid argument", "EINVAL"},
        {"Bad file descriptor", "EBADF"},
        {"Protocol not available", "ENOPROTOOPT"},
        {"Operation not supported", "EOPNOTSUPP"},
        {"No buffer space available", "ENOBUFS"},
        {"Resource temporarily unavailable", "EAGAIN"},
        // Unix-domain sockets (1.4)
        {"No such file or directory", "ENOENT"},
        {"Not a directory", "ENOTDIR"},
        {"File name too long", "ENAMETOOLONG"},
        {"Read-only file system", "EROFS"},
        {"Protocol wrong type for socket", "EPROTOTYPE"},
        {"Socket operation on non-socket", "ENOTSOCK"},
        {"Unix domain path too long", "EINVAL"}, // the JDK's own check: longer than sun_path
    };

    /** The protocol error for e; context (the failing call) prefixes the message. */
    static OpError errorOf(Throwable e, String context) {
        if (e instanceof OpError) return (OpError) e;
        String text = e.getMessage() == null ? e.getClass().getSimpleName()
                                             : e.getClass().getSimpleName() + ": " + e.getMessage();
        String message = context + ": " + text;
        // by type first: these exceptions are raised by java.nio itself, without a syscall
        if (e instanceof ClosedChannelException) return OpError.supplied("EBADF", message);
        if (e instanceof NotYetConnectedException) return OpError.supplied("ENOTCONN", message);
        if (e instanceof NotYetBoundException) return OpError.supplied("EINVAL", message);
        if (e instanceof AlreadyConnectedException) return OpError.supplied("EISCONN", message);
        if (e instanceof AlreadyBoundException) return OpError.supplied("EINVAL", message);
        if (e instanceof ConnectionPendingException) return OpError.supplied("EALREADY", message);
        if (e instanceof NoConnectionPendingException) return OpError.supplied("EINVAL", message);
        if (e instanceof UnsupportedAddressTypeException) return OpError.supplied("EAFNOSUPPORT", message);
        if (e instanceof UnresolvedAddressException) return OpError.supplied("EINVAL", message);
        if (e instanceof PortUnreachableException) return OpError.supplied("ECONNREFUSED", message);
        if (e.getMessage() != null) {
            String m = e.getMessage();
            for (String[] row : ERRNO_BY_MESSAGE) {
                if (m.contains(row[0])) return OpError.supplied(row[1], message);
            }
        }
        if (e instanceof UnsupportedOperationException) return OpError.supplied("EAFNOSUPPORT", message);
        if (e instanceof IllegalArgumentException) return OpError.supplied("EINVAL", message);
        return OpError.supplied("EIO", message);
    }
}
