/*
 * sockspec Java adapter: the wire protocol v1.1 (docs/protocol.md) over java.nio.channels.
 *
 * Reads one JSON request per line on stdin, performs it with ServerSocketChannel,
 * SocketChannel or DatagramChannel, and writes one JSON response per line on stdout.
 * Every channel is non-blocking; an operation is attempted first and waits on a Selector
 * (opened for that wait only, so that no channel stays registered) against a monotonic
 * deadline only if it would block.
 *
 * Errors: java.nio does not expose errno. Exceptions are mapped to errno names by type
 * and by the strerror text the JDK puts in their message (see ERRNO_BY_MESSAGE and
 * errorOf); anything unknown is EIO with the exception in the message. README.md lists
 * the table.
 */
package sockspec;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

public final class Adapter {
    static final String PROTOCOL_VERSION = "1.1";
    static final double DEFAULT_TIMEOUT = 5.0;
    static final int MAX_STREAM_READ = 1 << 20; // one stream.recv returns at most this much
    static final int MAX_DATAGRAM = 65536;      // larger than any UDP payload

    // ---- errors ------------------------------------------------------------------------

    /** An operation failed with a protocol code (errno name, UNSUPPORTED, BADREQUEST). */
    static final class OpError extends Exception {
        final String code;

        OpError(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    static OpError bad(String message) {
        return new OpError("BADREQUEST", message);
    }

    static OpError unsupported(String message) {
        return new OpError("UNSUPPORTED", message);
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
    };

    static OpError errorOf(Throwable e, String context) {
        if (e instanceof OpError) return (OpError) e;
        String text = e.getMessage() == null ? e.getClass().getSimpleName()
                                             : e.getClass().getSimpleName() + ": " + e.getMessage();
        String message = context + ": " + text;
        // by type first: these exceptions are raised by java.nio itself, without a syscall
        if (e instanceof ClosedChannelException) return new OpError("EBADF", message);
        if (e instanceof NotYetConnectedException) return new OpError("ENOTCONN", message);
        if (e instanceof NotYetBoundException) return new OpError("EINVAL", message);
        if (e instanceof AlreadyConnectedException) return new OpError("EISCONN", message);
        if (e instanceof AlreadyBoundException) return new OpError("EINVAL", message);
        if (e instanceof ConnectionPendingException) return new OpError("EALREADY", message);
        if (e instanceof NoConnectionPendingException) return new OpError("EINVAL", message);
        if (e instanceof UnsupportedAddressTypeException) return new OpError("EAFNOSUPPORT", message);
        if (e instanceof UnresolvedAddressException) return new OpError("EINVAL", message);
        if (e instanceof PortUnreachableException) return new OpError("ECONNREFUSED", message);
        if (e.getMessage() != null) {
            String m = e.getMessage();
            for (String[] row : ERRNO_BY_MESSAGE) {
                if (m.contains(row[0])) return new OpError(row[1], message);
            }
        }
        if (e instanceof UnsupportedOperationException) return new OpError("EAFNOSUPPORT", message);
        if (e instanceof IllegalArgumentException) return new OpError("EINVAL", message);
        return new OpError("EIO", message);
    }

    // ---- handles -----------------------------------------------------------------------

    static final class Sock {
        final NetworkChannel channel;
        final StandardProtocolFamily family;

        Sock(NetworkChannel channel, StandardProtocolFamily family) {
            this.channel = channel;
            this.family = family;
        }
    }

    final Map<Long, Sock> table = new LinkedHashMap<>();
    long nextHandle = 1; // never reused (docs/protocol.md §2.1)

    long register(NetworkChannel channel, StandardProtocolFamily family) {
        long handle = nextHandle++;
        table.put(handle, new Sock(channel, family));
        return handle;
    }

    void closeAll() {
        List<Sock> all = new ArrayList<>(table.values());
        table.clear();
        for (Sock s : all) closeQuietly(s.channel);
    }

    static void closeQuietly(NetworkChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to report: the handle is gone either way
        }
    }

    // ---- arguments ---------------------------------------------------------------------

    static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    static final class Args {
        final JsonObject raw;

        Args(JsonElement raw) throws OpError {
            if (raw == null || raw.isJsonNull()) this.raw = new JsonObject();
            else if (raw.isJsonObject()) this.raw = raw.getAsJsonObject();
            else throw bad("args must be an object");
        }

        JsonElement value(String name) {
            JsonElement v = raw.get(name);
            return v == null || v.isJsonNull() ? null : v;
        }

        boolean has(String name) {
            return value(name) != null;
        }

        static boolean isInteger(JsonElement v) {
            return v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                && INTEGER.matcher(v.getAsJsonPrimitive().getAsString()).matches();
        }

        long integer(String name) throws OpError {
            JsonElement v = value(name);
            if (v == null) throw bad("missing argument '" + name + "'");
            if (!isInteger(v)) throw bad("argument '" + name + "' must be an integer");
            try {
                return Long.parseLong(v.getAsString());
            } catch (NumberFormatException e) {
                throw bad("argument '" + name + "' is out of range");
            }
        }

        long integer(String name, long fallback) throws OpError {
            return has(name) ? integer(name) : fallback;
        }

        String string(String name) throws OpError {
            JsonElement v = value(name);
            if (v == null) throw bad("missing argument '" + name + "'");
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString())
                throw bad("argument '" + name + "' must be a string");
            return v.getAsString();
        }

        JsonObject object(String name) throws OpError {
            JsonElement v = value(name);
            if (v == null) return null;
            if (!v.isJsonObject()) throw bad("argument '" + name + "' must be an object");
            return v.getAsJsonObject();
        }

        double timeout() throws OpError {
            JsonElement v = value("timeout");
            if (v == null) return DEFAULT_TIMEOUT;
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber())
                throw bad("timeout must be a number >= 0");
            double t = v.getAsDouble();
            if (!(t >= 0) || Double.isInfinite(t)) throw bad("timeout must be a number >= 0");
            return t;
        }

        byte[] data() throws OpError {
            String text = string("data");
            // java.util.Base64's decoder accepts unpadded input; RFC 4648 §4 with padding does not.
            if (text.length() % 4 != 0) throw bad("invalid base64 data: length is not a multiple of 4");
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw bad("invalid base64 data: " + e.getMessage());
            }
        }

        StandardProtocolFamily family() throws OpError {
            String name = string("family");
            switch (name) {
                case "ipv4": return StandardProtocolFamily.INET;
                case "ipv6": return StandardProtocolFamily.INET6;
                default: throw bad("unknown family '" + name + "'");
            }
        }
    }

    Sock sock(Args args) throws OpError {
        long handle = args.integer("handle");
        Sock s = table.get(handle);
        if (s == null) throw new OpError("EBADF", "no open handle " + handle);
        return s;
    }

    // ---- addresses ---------------------------------------------------------------------

    static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** A numeric host for the family (inet_pton rules); names are never resolved. */
    static InetAddress parseHost(StandardProtocolFamily family, String host) throws OpError {
        try {
            if (family == StandardProtocolFamily.INET) {
                if (IPV4.matcher(host).matches()) {
                    String[] parts = host.split("\\.");
                    byte[] b = new byte[4];
                    boolean ok = true;
                    for (int i = 0; i < 4; i++) {
                        int v = Integer.parseInt(parts[i]);
                        ok &= v <= 255;
                        b[i] = (byte) v;
                    }
                    if (ok) return InetAddress.getByAddress(b);
                }
            } else if (IPV6.matcher(host).matches()) {
                // a literal with ':' is parsed, never looked up; Java turns ::ffff:a.b.c.d into
                // an Inet4Address, which an INET6 channel maps back when it connects or binds
                return InetAddress.getByName(host);
            }
        } catch (UnknownHostException | NumberFormatException e) {
            // fall through
        }
        throw new OpError("EINVAL", "not a numeric address for this family: '" + host + "'");
    }

    static InetSocketAddress socketAddress(StandardProtocolFamily family, String host, long port) throws OpError {
        InetAddress address = parseHost(family, host);
        if (port < 0 || port > 65535) throw new OpError("EINVAL", "port out of range: " + port);
        return new InetSocketAddress(address, (int) port);
    }

    static JsonObject address(SocketAddress sa) {
        InetSocketAddress isa = (InetSocketAddress) sa;
        JsonObject o = new JsonObject();
        o.addProperty("host", ntop(isa.getAddress()));
        o.addProperty("port", isa.getPort());
        return o;
    }

    /** inet_ntop(3) text (glibc's rules): Inet6Address.getHostAddress() does not compress. */
    static String ntop(InetAddress address) {
        if (address instanceof Inet4Address) return address.getHostAddress();
        byte[] b = address.getAddress();
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
        for (int i = 0; i < 8; i++) {
            if (w[i] == 0) {
                if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
                if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
            } else {
                curBase = -1;
                curLen = 0;
            }
        }
        if (bestLen < 2) bestBase = -1;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) sb.append(':');
                continue;
            }
            if (i != 0) sb.append(':');
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
                sb.append(b[12] & 0xff).append('.').append(b[13] & 0xff).append('.')
                  .append(b[14] & 0xff).append('.').append(b[15] & 0xff);
                break;
            }
            sb.append(Integer.toHexString(w[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) sb.append(':');
        if (address instanceof Inet6Address && ((Inet6Address) address).getScopeId() != 0)
            sb.append('%').append(((Inet6Address) address).getScopeId());
        return sb.toString();
    }

    /** getsockname(): an unbound channel reports null, which is the family's any address, port 0. */
    static JsonObject localAddress(Sock s) throws OpError {
        SocketAddress local;
        try {
            local = s.channel.getLocalAddress();
        } catch (IOException e) {
            throw errorOf(e, "getLocalAddress");
        }
        if (local == null) {
            JsonObject o = new JsonObject();
            o.addProperty("host", s.family == StandardProtocolFamily.INET ? "0.0.0.0" : "::");
            o.addProperty("port", 0);
            return o;
        }
        return address(local);
    }

    static JsonObject endpoints(NetworkChannel channel, SocketAddress remote) throws IOException {
        JsonObject o = new JsonObject();
        o.add("local", address(channel.getLocalAddress()));
        o.add("peer", address(remote));
        return o;
    }

    // ---- waiting -----------------------------------------------------------------------

    static long deadline(double timeout) {
        return System.nanoTime() + (long) Math.min(timeout * 1e9, 1e17);
    }

    /**
     * Wait until the channel is ready for ops or the deadline passes; false on timeout.
     * The Selector lives for this wait only: a channel that stays registered is closed
     * differently by the JDK (its close is deferred to the selector, and SO_LINGER is
     * switched off, sun.nio.ch.SocketChannelImpl.implCloseBlockingMode).
     */
    static boolean await(SelectableChannel channel, int ops, long deadline) throws IOException {
        try (Selector selector = Selector.open()) {
            channel.register(selector, ops);
            while (true) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) return false;
                long ms = Math.max(1, (remaining + 999_999) / 1_000_000);
                if (selector.select(ms) > 0) return true;
            }
        }
    }

    static OpError wouldBlock(double timeout, String context) {
        return timeout == 0 ? new OpError("EAGAIN", context + ": would block")
                            : new OpError("ETIMEDOUT", context + ": timed out after " + timeout + " s");
    }

    // ---- options -----------------------------------------------------------------------

    static final Map<String, SocketOption<?>> OPTIONS = new LinkedHashMap<>();

    static {
        OPTIONS.put("reuseaddr", StandardSocketOptions.SO_REUSEADDR);
        OPTIONS.put("reuseport", StandardSocketOptions.SO_REUSEPORT);
        OPTIONS.put("nodelay", StandardSocketOptions.TCP_NODELAY);
        OPTIONS.put("keepalive", StandardSocketOptions.SO_KEEPALIVE);
        OPTIONS.put("linger", StandardSocketOptions.SO_LINGER);
        OPTIONS.put("rcvbuf", StandardSocketOptions.SO_RCVBUF);
        OPTIONS.put("sndbuf", StandardSocketOptions.SO_SNDBUF);
        OPTIONS.put("broadcast", StandardSocketOptions.SO_BROADCAST);
        // "v6only" and "ttl" have no StandardSocketOptions (nor jdk.net) counterpart: UNSUPPORTED
    }

    static SocketOption<?> option(NetworkChannel channel, String name) throws OpError {
        SocketOption<?> opt = OPTIONS.get(name);
        if (opt == null) throw unsupported("option '" + name + "' has no java.net.StandardSocketOptions counterpart");
        if (!channel.supportedOptions().contains(opt))
            throw unsupported(channel.getClass().getSuperclass().getSimpleName() + " does not support " + opt.name());
        return opt;
    }

    @SuppressWarnings("unchecked")
    static void setOption(NetworkChannel channel, String name, JsonElement value) throws OpError {
        SocketOption<?> opt = option(channel, name);
        try {
            if (opt.type() == Boolean.class) {
                if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                    throw bad("option '" + name + "' takes a bool");
                channel.setOption((SocketOption<Boolean>) opt, value.getAsBoolean());
            } else if (opt == StandardSocketOptions.SO_LINGER) {
                int seconds;
                if (value == null || value.isJsonNull()) seconds = -1; // off
                else if (Args.isInteger(value)) seconds = clampInt(value.getAsString());
                else throw bad("option 'linger' takes null or integer seconds");
                channel.setOption(StandardSocketOptions.SO_LINGER, seconds);
            } else {
                if (value == null || !Args.isInteger(value)) throw bad("option '" + name + "' takes an integer");
                channel.setOption((SocketOption<Integer>) opt, clampInt(value.getAsString()));
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "setOption " + opt.name());
        }
    }

    static int clampInt(String text) throws OpError {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new OpError("EINVAL", "value out of range: " + text);
        }
    }

    static JsonElement getOption(NetworkChannel channel, String name) throws OpError {
        SocketOption<?> opt = option(channel, name);
        Object value;
        try {
            value = channel.getOption(opt);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "getOption " + opt.name());
        }
        if (opt == StandardSocketOptions.SO_LINGER) {
            int seconds = (Integer) value;
            return seconds < 0 ? JsonNull.INSTANCE : new JsonPrimitive(seconds);
        }
        if (value instanceof Boolean) return new JsonPrimitive((Boolean) value);
        return new JsonPrimitive((Integer) value);
    }

    static void applyOptions(NetworkChannel channel, JsonObject options) throws OpError {
        if (options == null) return;
        for (Map.Entry<String, JsonElement> e : options.entrySet()) setOption(channel, e.getKey(), e.getValue());
    }

    // ---- session -----------------------------------------------------------------------

    List<String> features;

    List<String> features() {
        if (features != null) return features;
        List<String> f = new ArrayList<>(List.of(
            "tcp", "udp", "ipv4", "tcp.socket", "tcp.bind-connect", "stream.shutdown", "stream.abort",
            "nonblocking", "opt.reuseaddr", "opt.nodelay", "opt.keepalive", "opt.linger",
            "opt.rcvbuf", "opt.sndbuf", "opt.broadcast"));
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET)) {
            if (probe.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) f.add("opt.reuseport");
        } catch (IOException | RuntimeException e) {
            // no SO_REUSEPORT then
        }
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            f.add(2, "ipv6");
        } catch (IOException | RuntimeException e) {
            // no usable IPv6 loopback
        }
        features = f;
        return f;
    }

    JsonObject opHello(Args args) {
        JsonObject o = new JsonObject();
        o.addProperty("protocol", PROTOCOL_VERSION);
        o.addProperty("implementation", "java-nio");
        o.addProperty("version", System.getProperty("java.runtime.version") + " ("
            + System.getProperty("java.vm.vendor") + ", java.nio.channels)");
        o.addProperty("language", "java");
        com.google.gson.JsonArray list = new com.google.gson.JsonArray();
        for (String f : features()) list.add(f);
        o.add("features", list);
        return o;
    }

    JsonObject opReset(Args args) {
        closeAll();
        return new JsonObject();
    }

    JsonObject opClose(Args args) throws OpError {
        Sock s = sock(args);
        table.remove(args.integer("handle"));
        closeQuietly(s.channel);
        return new JsonObject();
    }

    // ---- stream ------------------------------------------------------------------------

    JsonObject opTcpListen(Args args) throws OpError {
        StandardProtocolFamily family = args.family();
        InetSocketAddress address = socketAddress(family, args.string("host"), args.integer("port", 0));
        long backlog = args.integer("backlog", 128);
        JsonObject options = args.object("options");
        ServerSocketChannel ch;
        try {
            ch = ServerSocketChannel.open(family);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "ServerSocketChannel.open");
        }
        try {
            ch.configureBlocking(false);
            applyOptions(ch, options);
            ch.bind(address, (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, backlog)));
            JsonObject o = new JsonObject();
            o.add("local", address(ch.getLocalAddress()));
            o.addProperty("handle", register(ch, family));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, "bind");
        }
    }

    JsonObject opTcpSocket(Args args) throws OpError {
        StandardProtocolFamily family = args.family();
        JsonObject options = args.object("options");
        SocketChannel ch;
        try {
            ch = SocketChannel.open(family);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "SocketChannel.open");
        }
        try {
            ch.configureBlocking(false);
            applyOptions(ch, options);
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, "configure");
        }
        JsonObject o = new JsonObject();
        o.addProperty("handle", register(ch, family));
        return o;
    }

    JsonObject opTcpConnect(Args args) throws OpError {
        StandardProtocolFamily family = args.family();
        InetSocketAddress remote = socketAddress(family, args.string("host"), args.integer("port"));
        double timeout = args.timeout();
        JsonObject bindArg = args.object("bind");
        InetSocketAddress local = null;
        if (bindArg != null) {
            Args b = new Args(bindArg);
            local = socketAddress(family, b.string("host"), b.integer("port", 0));
        }
        JsonObject options = args.object("options");
        long deadline = deadline(timeout);
        SocketChannel ch;
        try {
            ch = SocketChannel.open(family);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "SocketChannel.open");
        }
        String step = "configure";
        try {
            ch.configureBlocking(false);
            applyOptions(ch, options);
            if (local != null) {
                step = "bind";
                ch.bind(local);
            }
            step = "connect";
            boolean done = ch.connect(remote);
            while (!done) {
                if (timeout == 0) throw new OpError("EINPROGRESS", "connect: in progress");
                if (!await(ch, SelectionKey.OP_CONNECT, deadline))
                    throw new OpError("ETIMEDOUT", "connect: timed out after " + timeout + " s");
                done = ch.finishConnect();
            }
            JsonObject o = endpoints(ch, ch.getRemoteAddress());
            o.addProperty("handle", register(ch, family));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, step);
        }
    }

    JsonObject opTcpAccept(Args args) throws OpError {
        Sock s = sock(args);
        double timeout = args.timeout();
        if (!(s.channel instanceof ServerSocketChannel))
            throw unsupported("tcp.accept: only a ServerSocketChannel accepts (java.nio has no accept on this channel)");
        ServerSocketChannel listener = (ServerSocketChannel) s.channel;
        long deadline = deadline(timeout);
        try {
            while (true) {
                SocketChannel conn = listener.accept();
                if (conn != null) {
                    try {
                        conn.configureBlocking(false);
                        JsonObject o = endpoints(conn, conn.getRemoteAddress());
                        o.addProperty("handle", register(conn, s.family));
                        return o;
                    } catch (IOException | RuntimeException e) {
                        closeQuietly(conn);
                        throw e;
                    }
                }
                if (timeout == 0 || !await(listener, SelectionKey.OP_ACCEPT, deadline))
                    throw wouldBlock(timeout, "accept");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "accept");
        }
    }

    static SocketChannel stream(Sock s, String op) throws OpError {
        if (s.channel instanceof SocketChannel) return (SocketChannel) s.channel;
        throw unsupported(op + ": java.nio's " + s.channel.getClass().getSuperclass().getSimpleName()
            + " has no such operation");
    }

    JsonObject opStreamSend(Args args) throws OpError {
        Sock s = sock(args);
        byte[] data = args.data();
        double timeout = args.timeout();
        SocketChannel ch = stream(s, "stream.send");
        JsonObject o = new JsonObject();
        if (data.length == 0) {
            o.addProperty("sent", 0);
            return o;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        long deadline = deadline(timeout);
        try {
            while (true) {
                int n = ch.write(buf); // one write(2): what fits now, without waiting again
                if (n > 0) {
                    o.addProperty("sent", n);
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_WRITE, deadline)) throw wouldBlock(timeout, "write");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "write");
        }
    }

    JsonObject opStreamRecv(Args args) throws OpError {
        Sock s = sock(args);
        long max = args.integer("max");
        if (max < 1) throw bad("max must be >= 1");
        double timeout = args.timeout();
        SocketChannel ch = stream(s, "stream.recv");
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(max, MAX_STREAM_READ));
        long deadline = deadline(timeout);
        try {
            while (true) {
                int n = ch.read(buf);
                if (n != 0) {
                    JsonObject o = new JsonObject();
                    // -1 is end of stream: empty data
                    o.addProperty("data", n < 0 ? "" : Base64.getEncoder().encodeToString(
                        java.util.Arrays.copyOf(buf.array(), n)));
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_READ, deadline)) throw wouldBlock(timeout, "read");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "read");
        }
    }

    JsonObject opStreamShutdown(Args args) throws OpError {
        Sock s = sock(args);
        String how = args.string("how");
        if (!how.equals("read") && !how.equals("write") && !how.equals("both"))
            throw bad("unknown shutdown direction '" + how + "'");
        SocketChannel ch = stream(s, "stream.shutdown");
        try {
            if (!how.equals("write")) ch.shutdownInput();
            if (!how.equals("read")) ch.shutdownOutput();
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "shutdown");
        }
        return new JsonObject();
    }

    JsonObject opStreamAbort(Args args) throws OpError {
        Sock s = sock(args);
        SocketChannel ch = stream(s, "stream.abort");
        try {
            // the documented abortive close: SO_LINGER on with a zero timeout, then close
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "setOption SO_LINGER");
        }
        table.remove(args.integer("handle"));
        closeQuietly(ch);
        return new JsonObject();
    }

    // ---- datagram ----------------------------------------------------------------------

    static DatagramChannel datagram(Sock s, String op) throws OpError {
        if (s.channel instanceof DatagramChannel) return (DatagramChannel) s.channel;
        throw unsupported(op + ": java.nio's " + s.channel.getClass().getSuperclass().getSimpleName()
            + " has no such operation");
    }

    JsonObject opUdpBind(Args args) throws OpError {
        StandardProtocolFamily family = args.family();
        InetSocketAddress address = socketAddress(family, args.string("host"), args.integer("port", 0));
        JsonObject options = args.object("options");
        DatagramChannel ch;
        try {
            ch = DatagramChannel.open(family);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "DatagramChannel.open");
        }
        try {
            ch.configureBlocking(false);
            applyOptions(ch, options);
            ch.bind(address);
            JsonObject o = new JsonObject();
            o.add("local", address(ch.getLocalAddress()));
            o.addProperty("handle", register(ch, family));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, "bind");
        }
    }

    JsonObject opUdpConnect(Args args) throws OpError {
        Sock s = sock(args);
        InetSocketAddress remote = socketAddress(s.family, args.string("host"), args.integer("port"));
        DatagramChannel ch = datagram(s, "udp.connect");
        try {
            ch.connect(remote);
            return endpoints(ch, ch.getRemoteAddress());
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "connect");
        }
    }

    JsonObject opUdpSendto(Args args) throws OpError {
        Sock s = sock(args);
        byte[] data = args.data();
        InetSocketAddress target = null;
        if (args.has("host")) target = socketAddress(s.family, args.string("host"), args.integer("port"));
        double timeout = args.timeout();
        DatagramChannel ch = datagram(s, "udp.sendto");
        ByteBuffer buf = ByteBuffer.wrap(data);
        long deadline = deadline(timeout);
        try {
            while (true) {
                int n = target == null ? ch.write(buf) : ch.send(buf, target);
                // an empty datagram is sent with a count of 0; otherwise 0 means "no room yet"
                if (n > 0 || data.length == 0) {
                    JsonObject o = new JsonObject();
                    o.addProperty("sent", n);
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_WRITE, deadline)) throw wouldBlock(timeout, "send");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, target == null ? "write" : "send");
        }
    }

    JsonObject opUdpRecvfrom(Args args) throws OpError {
        Sock s = sock(args);
        long max = args.integer("max");
        if (max < 0) throw bad("max must be >= 0");
        double timeout = args.timeout();
        DatagramChannel ch = datagram(s, "udp.recvfrom");
        // DatagramChannel.receive silently drops what does not fit: receive into one byte
        // more than max to know whether the datagram was longer (truncated), then cut.
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(max + 1, MAX_DATAGRAM));
        long deadline = deadline(timeout);
        try {
            while (true) {
                SocketAddress sender = ch.receive(buf);
                if (sender != null) {
                    int length = buf.position();
                    int kept = (int) Math.min(length, max);
                    JsonObject o = new JsonObject();
                    o.addProperty("data", Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), kept)));
                    o.add("peer", address(sender));
                    o.addProperty("truncated", length > max);
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_READ, deadline)) throw wouldBlock(timeout, "receive");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "receive");
        }
    }

    // ---- addresses and options ---------------------------------------------------------

    JsonObject opAddrLocal(Args args) throws OpError {
        return localAddress(sock(args));
    }

    JsonObject opAddrPeer(Args args) throws OpError {
        Sock s = sock(args);
        SocketAddress remote;
        try {
            if (s.channel instanceof SocketChannel) remote = ((SocketChannel) s.channel).getRemoteAddress();
            else if (s.channel instanceof DatagramChannel) remote = ((DatagramChannel) s.channel).getRemoteAddress();
            else throw unsupported("addr.peer: java.nio's ServerSocketChannel has no remote address");
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "getRemoteAddress");
        }
        if (remote == null) throw new OpError("ENOTCONN", "getRemoteAddress: not connected (null)");
        return address(remote);
    }

    JsonObject opOptSet(Args args) throws OpError {
        Sock s = sock(args);
        String name = args.string("name");
        if (!args.raw.has("value")) throw bad("missing argument 'value'");
        JsonElement value = args.raw.get("value");
        if (!value.isJsonNull() && !value.isJsonPrimitive()) throw bad("argument 'value' has the wrong type");
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) throw bad("argument 'value' has the wrong type");
        setOption(s.channel, name, value);
        return new JsonObject();
    }

    JsonObject opOptGet(Args args) throws OpError {
        Sock s = sock(args);
        JsonObject o = new JsonObject();
        o.add("value", getOption(s.channel, args.string("name")));
        return o;
    }

    // ---- dispatch ----------------------------------------------------------------------

    JsonObject dispatch(String op, Args args) throws OpError {
        switch (op) {
            case "hello": return opHello(args);
            case "reset": return opReset(args);
            case "close": return opClose(args);
            case "tcp.listen": return opTcpListen(args);
            case "tcp.socket": return opTcpSocket(args);
            case "tcp.connect": return opTcpConnect(args);
            case "tcp.accept": return opTcpAccept(args);
            case "stream.send": return opStreamSend(args);
            case "stream.recv": return opStreamRecv(args);
            case "stream.shutdown": return opStreamShutdown(args);
            case "stream.abort": return opStreamAbort(args);
            case "udp.bind": return opUdpBind(args);
            case "udp.connect": return opUdpConnect(args);
            case "udp.sendto": return opUdpSendto(args);
            case "udp.recvfrom": return opUdpRecvfrom(args);
            case "addr.local": return opAddrLocal(args);
            case "addr.peer": return opAddrPeer(args);
            case "opt.set": return opOptSet(args);
            case "opt.get": return opOptGet(args);
            default: throw unsupported("unknown operation '" + op + "'");
        }
    }

    String handleLine(String line) {
        JsonElement id = JsonNull.INSTANCE;
        JsonObject response = new JsonObject();
        try {
            JsonElement parsed;
            try {
                parsed = JsonParser.parseString(line);
            } catch (RuntimeException e) {
                throw bad("not a JSON message: " + e.getMessage());
            }
            if (!parsed.isJsonObject()) throw bad("a request is an object with a string 'op'");
            JsonObject request = parsed.getAsJsonObject();
            if (request.has("id")) id = request.get("id");
            JsonElement op = request.get("op");
            if (op == null || !op.isJsonPrimitive() || !op.getAsJsonPrimitive().isString())
                throw bad("a request is an object with a string 'op'");
            JsonObject result = dispatch(op.getAsString(), new Args(request.get("args")));
            response.add("id", id);
            response.addProperty("ok", true);
            response.add("result", result);
        } catch (OpError e) {
            response = failure(id, e.code, e.getMessage());
        } catch (RuntimeException e) {
            // a slip of this adapter: say so rather than die
            response = failure(id, "EIO", "adapter: " + e);
            e.printStackTrace(System.err);
        }
        return response.toString();
    }

    static JsonObject failure(JsonElement id, String code, String message) {
        JsonObject r = new JsonObject();
        r.add("id", id);
        r.addProperty("ok", false);
        JsonObject error = new JsonObject();
        error.addProperty("code", code);
        error.addProperty("message", message == null ? code : message);
        r.add("error", error);
        return r;
    }

    public static void main(String[] argv) throws IOException {
        // The JVM already ignores SIGPIPE: a write to a reset connection is an IOException (EPIPE).
        Adapter adapter = new Adapter();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            byte[] bytes = (adapter.handleLine(line) + "\n").getBytes(StandardCharsets.UTF_8);
            out.write(bytes); // one write per response: unbuffered, so nothing waits for a flush
            out.flush();
        }
        adapter.closeAll();
        out.flush();
        System.exit(0);
    }
}
