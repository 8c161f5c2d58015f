package sockspec;

import io.netty.channel.ChannelException;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.unix.Errors;

import java.net.PortUnreachableException;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.HashMap;
import java.util.Map;

/**
 * Errno names for what Netty's futures fail with.
 *
 * <ul>
 * <li>The epoll transport throws {@code Errors.NativeIoException} (and its
 * {@code NativeConnectException}), whose {@code expectedErr()} is the negated errno of the
 * failed system call: its name is Netty's own, answered without "supplied".</li>
 * <li>The NIO transport passes on java.nio's exceptions, which carry no errno: they are
 * mapped by type and by the strerror(3) text the JDK puts in their message, like the java
 * adapter does, and answered with "supplied": true.</li>
 * <li>Netty's own exceptions (ClosedChannelException for a channel Netty has closed,
 * NotYetConnectedException, ChannelOutputShutdownException...) have no errno either:
 * supplied.</li>
 * </ul>
 */
final class Errnos {
    private Errnos() {
    }

    static final Map<Integer, String> LINUX = new HashMap<>();

    static {
        String[][] table = {
            {"1", "EPERM"}, {"2", "ENOENT"}, {"4", "EINTR"}, {"9", "EBADF"}, {"11", "EAGAIN"},
            {"12", "ENOMEM"}, {"13", "EACCES"}, {"17", "EEXIST"}, {"20", "ENOTDIR"}, {"22", "EINVAL"},
            {"24", "EMFILE"}, {"28", "ENOSPC"}, {"30", "EROFS"}, {"32", "EPIPE"}, {"36", "ENAMETOOLONG"},
            {"88", "ENOTSOCK"}, {"89", "EDESTADDRREQ"}, {"90", "EMSGSIZE"}, {"91", "EPROTOTYPE"},
            {"92", "ENOPROTOOPT"}, {"93", "EPROTONOSUPPORT"}, {"95", "EOPNOTSUPP"}, {"97", "EAFNOSUPPORT"},
            {"98", "EADDRINUSE"}, {"99", "EADDRNOTAVAIL"}, {"100", "ENETDOWN"}, {"101", "ENETUNREACH"},
            {"103", "ECONNABORTED"}, {"104", "ECONNRESET"}, {"105", "ENOBUFS"}, {"106", "EISCONN"},
            {"107", "ENOTCONN"}, {"110", "ETIMEDOUT"}, {"111", "ECONNREFUSED"}, {"113", "EHOSTUNREACH"},
            {"114", "EALREADY"}, {"115", "EINPROGRESS"},
        };
        for (String[] row : table) LINUX.put(Integer.parseInt(row[0]), row[1]);
    }

    /* strerror(3) texts (the JDK's and Netty's messages carry them), first match wins. */
    static final String[][] ERRNO_BY_MESSAGE = {
        {"Connection refused", "ECONNREFUSED"},
        {"Connection reset", "ECONNRESET"},
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
        {"No such file or directory", "ENOENT"},
        {"Not a directory", "ENOTDIR"},
        {"File name too long", "ENAMETOOLONG"},
        {"Read-only file system", "EROFS"},
        {"Protocol wrong type for socket", "EPROTOTYPE"},
        {"Socket operation on non-socket", "ENOTSOCK"},
        {"Unix domain path too long", "EINVAL"},
    };

    static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** The protocol error for e (a future's cause, or a thrown exception); context names the call. */
    static OpError errorOf(Throwable e, String context) {
        if (e instanceof OpError) return (OpError) e;
        String message = context + ": " + describe(e);
        // Netty wraps: AnnotatedConnectException(cause), ChannelException(IOException) ...
        for (Throwable t = e; t != null; t = t.getCause()) {
            Integer err = null;
            if (t instanceof Errors.NativeIoException) err = ((Errors.NativeIoException) t).expectedErr();
            else if (t.getClass().getName().equals("io.netty.channel.unix.Errors$NativeConnectException")) {
                try { // ConnectException's native twin: the same expectedErr(), in a non-public class
                    java.lang.reflect.Method m = t.getClass().getDeclaredMethod("expectedErr");
                    m.setAccessible(true);
                    err = (Integer) m.invoke(t);
                } catch (ReflectiveOperationException | RuntimeException ignored) {
                    // fall back to the message below
                }
            }
            if (err != null) {
                String name = LINUX.get(Math.abs(err));
                if (name != null) return new OpError(name, message);
            }
            if (t.getCause() == t) break;
        }
        // by type, along the cause chain: Netty wraps (ChannelException(IOException),
        // ChannelOutputShutdownException(the write's own failure) ...)
        for (Throwable t = e; t != null; t = t.getCause()) {
            OpError byType = byType(t, message);
            if (byType != null) return byType;
            if (t.getCause() == t) break;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                for (String[] row : ERRNO_BY_MESSAGE) {
                    if (t.getMessage().contains(row[0])) return OpError.supplied(row[1], message);
                }
            }
            if (t.getCause() == t) break;
        }
        Throwable inner = e instanceof ChannelException && e.getCause() != null ? e.getCause() : e;
        if (inner instanceof UnsupportedOperationException) return OpError.supplied("EOPNOTSUPP", message);
        if (inner instanceof IllegalArgumentException) return OpError.supplied("EINVAL", message);
        return OpError.supplied("EIO", message);
    }

    /** Exceptions raised by Netty or java.nio themselves, without a system call: no errno. */
    static OpError byType(Throwable t, String message) {
        if (t instanceof ConnectTimeoutException) return OpError.supplied("ETIMEDOUT", message);
        if (t instanceof ClosedChannelException) return OpError.supplied("EBADF", message);
        if (t instanceof NotYetConnectedException) return OpError.supplied("ENOTCONN", message);
        if (t instanceof NotYetBoundException) return OpError.supplied("EINVAL", message);
        if (t instanceof AlreadyConnectedException) return OpError.supplied("EISCONN", message);
        if (t instanceof AlreadyBoundException) return OpError.supplied("EINVAL", message);
        if (t instanceof ConnectionPendingException) return OpError.supplied("EALREADY", message);
        if (t instanceof UnsupportedAddressTypeException) return OpError.supplied("EAFNOSUPPORT", message);
        if (t instanceof UnresolvedAddressException) return OpError.supplied("EINVAL", message);
        // Netty's Errors turns ENOENT of a connect into a bare FileNotFoundException
        if (t instanceof java.io.FileNotFoundException) return OpError.supplied("ENOENT", message);
        if (t instanceof PortUnreachableException) return OpError.supplied("ECONNREFUSED", message);
        return null;
    }
}
