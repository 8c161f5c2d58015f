package sockspec;

import static sockspec.Addresses.endpoints;
import static sockspec.Errnos.errorOf;
import static sockspec.Handles.closeQuietly;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Unix-domain sockets (protocol 1.4) over java.nio (JDK 16+, JEP 380):
 * {@code ServerSocketChannel.open(StandardProtocolFamily.UNIX)} bound to a
 * {@link UnixDomainSocketAddress} for unix.listen, {@code SocketChannel.open(UNIX)} for
 * unix.connect (bound first with {@code bind} if asked), {@code accept} for unix.accept. The
 * stream.*, close and addr.* operations are StreamOps' and Addresses' own: a Unix
 * SocketChannel is a SocketChannel.
 *
 * java.nio has no more than that (README.md, "Unix-domain sockets"): no Unix datagram
 * channel ({@code DatagramChannel.open(UNIX)} throws UnsupportedOperationException), no
 * seqpacket, no socketpair, no abstract names ({@code UnixDomainSocketAddress.of("\0name")}
 * throws InvalidPathException: "Nul character not allowed"), no autobind (a SocketChannel
 * bound to null stays unnamed; a ServerSocketChannel bound to null gets a file in the temp
 * directory), no descriptor or credential passing. {@code jdk.net.ExtendedSocketOptions.SO_PEERCRED}
 * answers user and group <em>names</em> (a UnixDomainPrincipal) and no pid, so unix.peercred
 * is not declared either. Those operations answer UNSUPPORTED.
 *
 * The adapter never unlinks a socket file unless asked (unix.unlink); java.nio does not
 * either: closing a ServerSocketChannel leaves its file behind.
 */
final class UnixOps {
    static final String[] KINDS = {"stream", "dgram", "seqpacket"};

    private final Handles handles;

    UnixOps(Handles handles) {
        this.handles = handles;
    }

    /** kind: only "stream" exists in java.nio; the others are UNSUPPORTED (not declared). */
    static void streamKind(Args args) throws OpError {
        String kind = args.string("kind");
        if (!kind.equals("stream") && !kind.equals("dgram") && !kind.equals("seqpacket"))
            throw bad("unknown Unix socket kind '" + kind + "'");
        if (!kind.equals("stream"))
            throw unsupported("java.nio has no Unix " + kind + " channel (DatagramChannel.open(UNIX) is refused)");
    }

    /**
     * A protocol Unix address as java.nio's: a path; null for {"unnamed": true}. Abstract
     * names and autobind have no java.nio form: UNSUPPORTED.
     */
    static UnixDomainSocketAddress address(JsonObject raw, String name) throws OpError {
        return address(raw, name, false);
    }

    /** A destination (unix.connect's address) is never unnamed or autobind: EINVAL (protocol 1.4). */
    static UnixDomainSocketAddress address(JsonObject raw, String name, boolean destination) throws OpError {
        if (raw == null) throw bad("missing argument '" + name + "'");
        Args a = new Args(raw);
        if (raw.has("path")) {
            String path = a.string("path");
            if (path.isEmpty()) throw new OpError("EINVAL", "an empty path names no socket");
            try {
                return UnixDomainSocketAddress.of(path);
            } catch (InvalidPathException e) {
                throw OpError.supplied("EINVAL", "UnixDomainSocketAddress.of: " + e.getMessage());
            }
        }
        if (raw.has("abstract")) {
            a.string("abstract");
            throw unsupported("java.nio has no abstract names: UnixDomainSocketAddress.of(\"\\0name\") is an "
                + "InvalidPathException (unix.abstract not declared)");
        }
        if (raw.has("unnamed")) {
            if (!isTrue(raw, "unnamed")) throw bad("unnamed must be true");
            if (destination) throw new OpError("EINVAL", "an unnamed address names no socket to reach");
            return null;
        }
        if (raw.has("autobind")) {
            if (!isTrue(raw, "autobind")) throw bad("autobind must be true");
            if (destination) throw new OpError("EINVAL", "autobind only binds a socket");
            throw unsupported("java.nio cannot autobind: a SocketChannel bound to null stays unnamed "
                + "(unix.autobind not declared)");
        }
        throw bad("argument '" + name + "' is not a Unix address (path, abstract, unnamed, autobind)");
    }

    static boolean isTrue(JsonObject raw, String key) throws OpError {
        if (!raw.get(key).isJsonPrimitive() || !raw.get(key).getAsJsonPrimitive().isBoolean())
            throw bad("argument '" + key + "' must be a bool");
        return raw.get(key).getAsBoolean();
    }

    JsonObject listen(Args args) throws OpError {
        streamKind(args);
        UnixDomainSocketAddress local = address(args.object("address"), "address");
        long backlog = args.integer("backlog", 128);
        if (local == null)
            throw OpError.supplied("EINVAL", "listen: an unnamed ServerSocketChannel cannot listen (bind(null) "
                + "would make a file of the JDK's choosing)");
        ServerSocketChannel ch;
        try {
            ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "ServerSocketChannel.open(UNIX)");
        }
        try {
            ch.configureBlocking(false);
            ch.bind(local, (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, backlog)));
            JsonObject o = new JsonObject();
            o.add("local", Addresses.address(ch.getLocalAddress()));
            o.addProperty("handle", handles.register(ch, StandardProtocolFamily.UNIX));
            return o;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw errorOf(e, "bind");
        }
    }

    /** unix.accept is tcp.accept: ServerSocketChannel.accept, whatever the family. */
    JsonObject accept(StreamOps stream, Args args) throws OpError {
        return stream.accept(args);
    }

    JsonObject connect(Args args) throws OpError {
        streamKind(args);
        UnixDomainSocketAddress remote = address(args.object("address"), "address", true);
        JsonObject bindArg = args.object("bind");
        UnixDomainSocketAddress local = bindArg == null ? null : address(bindArg, "bind");
        double timeout = args.timeout();
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "SocketChannel.open(UNIX)");
        }
        String step = "configure";
        try {
            ch.configureBlocking(false);
            if (local != null) {
                step = "bind";
                ch.bind(local);
            }
            step = "connect";
            if (timeout == 0) {
                // non-blocking: a full backlog is EAGAIN at once (unix(7)), anything else completes
                boolean done = ch.connect(remote);
                if (!done) // connect() answered false: pending, no errno
                    throw OpError.supplied("EINPROGRESS", "connect: in progress (SocketChannel.connect returned false)");
            } else {
                connectBlocking(ch, remote, timeout);
            }
            JsonObject o = endpoints(ch, ch.getRemoteAddress());
            o.addProperty("handle", handles.register(ch, StandardProtocolFamily.UNIX));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, step);
        }
    }

    /**
     * A timed connect. A Unix connect that finds the listener's backlog full waits in the
     * kernel until there is room; non-blocking it fails with EAGAIN at once, and no readiness
     * shows when room appears, so a Selector cannot wait for it. The channel connects in
     * blocking mode, as java.nio's blocking connect waits like the kernel does, and a watchdog
     * closes it when the timeout runs out: java.nio's documented way to end a blocking
     * operation ("asynchronously closeable", {@link java.nio.channels.InterruptibleChannel}),
     * which the blocked connect answers with AsynchronousCloseException.
     */
    static void connectBlocking(SocketChannel ch, UnixDomainSocketAddress remote, double timeout)
            throws IOException, OpError {
        AtomicBoolean settled = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            if (settled.compareAndSet(false, true)) closeQuietly(ch);
        }, (long) Math.min(timeout * 1e9, 1e17), TimeUnit.NANOSECONDS);
        ch.configureBlocking(true);
        try {
            ch.connect(remote);
        } catch (AsynchronousCloseException e) {
            if (!settled.compareAndSet(false, true))
                throw new OpError("ETIMEDOUT", "connect: timed out after " + timeout + " s");
            throw e;
        } finally {
            watchdog.cancel(false);
        }
        if (!settled.compareAndSet(false, true)) // the watchdog closed it just as it connected
            throw new OpError("ETIMEDOUT", "connect: timed out after " + timeout + " s");
        ch.configureBlocking(false);
    }

    static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "unix-connect-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** Removes a pathname socket's file, as a Java program does: Files.delete. */
    JsonObject unlink(Args args) throws OpError {
        JsonObject raw = args.object("address");
        if (raw != null && !raw.has("path")) {
            try {
                address(raw, "address", true); // well-formed?
            } catch (OpError e) {
                if (e.code.equals("BADREQUEST")) throw e;
            }
            throw new OpError("EINVAL", "only a pathname socket has a file to remove");
        }
        UnixDomainSocketAddress path = address(raw, "address");
        try {
            Files.delete(path.getPath());
        } catch (NoSuchFileException e) {
            throw OpError.supplied("ENOENT", "Files.delete: NoSuchFileException: " + e.getMessage());
        } catch (AccessDeniedException e) {
            throw OpError.supplied("EACCES", "Files.delete: AccessDeniedException: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "Files.delete");
        }
        return new JsonObject();
    }

    /** What java.nio has no channel or option for (none of it declared). */
    JsonObject unsupportedOp(String op, Args args) throws OpError {
        if (op.equals("unix.sendto") || op.equals("unix.recvfrom")) handles.get(args); // unknown handle: EBADF first
        if (op.equals("unix.peercred")) {
            handles.get(args);
            throw unsupported("unix.peercred: jdk.net.ExtendedSocketOptions.SO_PEERCRED gives user and group names "
                + "(UnixDomainPrincipal), no pid and no numeric ids");
        }
        throw unsupported(op + ": java.nio has no Unix datagram or seqpacket channel and no socketpair");
    }
}
