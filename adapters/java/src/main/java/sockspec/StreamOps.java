package sockspec;

import static sockspec.Addresses.address;
import static sockspec.Addresses.endpoints;
import static sockspec.Addresses.socketAddress;
import static sockspec.Errnos.errorOf;
import static sockspec.Handles.closeQuietly;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;
import static sockspec.Options.applyOptions;
import static sockspec.Waits.await;
import static sockspec.Waits.deadline;
import static sockspec.Waits.wouldBlock;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Base64;

/** TCP: tcp.listen / tcp.socket / tcp.connect / tcp.accept and stream.* over ServerSocketChannel and SocketChannel. */
final class StreamOps {
    static final int MAX_STREAM_READ = 1 << 20; // one stream.recv returns at most this much

    private final Handles handles;

    StreamOps(Handles handles) {
        this.handles = handles;
    }

    JsonObject listen(Args args) throws OpError {
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
            applyOptions(ch, family, options);
            ch.bind(address, (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, backlog)));
            JsonObject o = new JsonObject();
            o.add("local", address(ch.getLocalAddress()));
            o.addProperty("handle", handles.register(ch, family));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, "bind");
        }
    }

    JsonObject socket(Args args) throws OpError {
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
            applyOptions(ch, family, options);
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, "configure");
        }
        JsonObject o = new JsonObject();
        o.addProperty("handle", handles.register(ch, family));
        return o;
    }

    JsonObject connect(Args args) throws OpError {
        StandardProtocolFamily family = args.family();
        InetSocketAddress remote = socketAddress(family, args.string("host"), args.integer("port"));
        double timeout = args.timeout();
        boolean pending = args.flag("pending"); // 1.5 tcp.pending
        JsonObject bindArg = args.object("bind");
        InetSocketAddress local = null;
        if (bindArg != null) {
            Args b = new Args(bindArg);
            local = socketAddress(family, b.string("host"), b.integer("port", 0));
        }
        JsonObject options = args.object("options");
        long deadline = deadline(timeout);
        // 1.5 tcp.connect-handle: SocketChannel.connect on the existing channel; a failure
        // leaves the handle as it is (the JDK itself closes a channel whose connect failed)
        Handles.Sock existing = args.has("handle") ? handles.get(args) : null;
        SocketChannel ch;
        if (existing != null) {
            if (existing.server != null)
                throw unsupported("tcp.connect: this handle is an echo server (serve.start)");
            if (!(existing.channel instanceof SocketChannel))
                // a ServerSocketChannel has no connect method at all: nothing reaches the kernel
                throw OpError.supplied("EOPNOTSUPP", "tcp.connect: java.nio's "
                    + existing.channel.getClass().getSuperclass().getSimpleName() + " has no connect");
            ch = (SocketChannel) existing.channel;
        } else {
            try {
                ch = SocketChannel.open(family);
            } catch (IOException | RuntimeException e) {
                throw errorOf(e, "SocketChannel.open");
            }
        }
        String step = "configure";
        try {
            if (existing == null) ch.configureBlocking(false);
            applyOptions(ch, family, options);
            if (local != null) {
                step = "bind";
                ch.bind(local);
            }
            step = "connect";
            boolean done = ch.connect(remote);
            if (!done && pending) { // connect() answered false: the connect is under way
                JsonObject o = new JsonObject();
                java.net.SocketAddress bound = ch.getLocalAddress();
                if (bound != null) o.add("local", address(bound));
                else {
                    // the JDK learns the local address only when finishConnect completes
                    // (SocketChannelImpl.endConnect): until then getLocalAddress() is null,
                    // answered as the family's any address, port 0, like an unbound channel
                    JsonObject any = new JsonObject();
                    any.addProperty("host", family == StandardProtocolFamily.INET ? "0.0.0.0" : "::");
                    any.addProperty("port", 0);
                    o.add("local", any);
                    com.google.gson.JsonArray emulated = new com.google.gson.JsonArray();
                    emulated.add("local");
                    o.add("emulated", emulated);
                }
                o.addProperty("pending", true);
                o.addProperty("handle", existing != null ? args.integer("handle") : handles.register(ch, family));
                return o;
            }
            while (!done) {
                if (timeout == 0) // connect() answered false: pending, no errno
                    throw OpError.supplied("EINPROGRESS", "connect: in progress (SocketChannel.connect returned false)");
                if (!await(ch, SelectionKey.OP_CONNECT, deadline))
                    throw new OpError("ETIMEDOUT", "connect: timed out after " + timeout + " s");
                done = ch.finishConnect();
            }
            JsonObject o = endpoints(ch, ch.getRemoteAddress());
            if (pending) o.addProperty("pending", false);
            o.addProperty("handle", existing != null ? args.integer("handle") : handles.register(ch, family));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            if (existing == null) closeQuietly(ch);
            throw errorOf(e, step);
        }
    }

    JsonObject accept(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        double timeout = args.timeout();
        if (s.server != null)
            throw unsupported("tcp.accept: this handle is an echo server (serve.start): its own thread accepts");
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
                        o.addProperty("handle", handles.register(conn, s.family));
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

    /** The stream.* operations exist only on a SocketChannel; elsewhere UNSUPPORTED. */
    static SocketChannel stream(Handles.Sock s, String op) throws OpError {
        if (s.channel instanceof SocketChannel) return (SocketChannel) s.channel;
        throw unsupported(op + ": java.nio's " + s.channel.getClass().getSuperclass().getSimpleName()
            + " has no such operation");
    }

    /**
     * A connect started with pending: true is finished the java.nio way before I/O: finishConnect
     * (after OP_CONNECT); until it answers true the channel is not connected for the JDK.
     */
    static void finishPending(SocketChannel ch, double timeout, long deadline) throws IOException, OpError {
        while (ch.isConnectionPending() && !ch.finishConnect()) {
            if (timeout == 0 || !await(ch, SelectionKey.OP_CONNECT, deadline))
                throw wouldBlock(timeout, "finishConnect");
        }
    }

    JsonObject send(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        byte[] data = args.data();
        args.refuseFlags("stream.send", "oob", "blocking");
        double timeout = args.timeoutOrDontwait();
        SocketChannel ch = stream(s, "stream.send");
        JsonObject o = new JsonObject();
        if (data.length == 0) {
            o.addProperty("sent", 0);
            return o;
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        long deadline = deadline(timeout);
        try {
            finishPending(ch, timeout, deadline);
            while (true) {
                int n = ch.write(buf); // one write(2): what fits now, without waiting again
                if (n > 0) {
                    o.addProperty("sent", n);
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_WRITE, deadline)) throw wouldBlock(timeout, "write");
            }
        } catch (IOException | RuntimeException | OpError e) {
            throw errorOf(e, "write");
        }
    }

    JsonObject recv(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        long max = args.integer("max");
        if (max < 1) throw bad("max must be >= 1");
        args.refuseFlags("stream.recv", "peek", "waitall", "oob", "blocking");
        double timeout = args.timeoutOrDontwait();
        SocketChannel ch = stream(s, "stream.recv");
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(max, MAX_STREAM_READ));
        long deadline = deadline(timeout);
        try {
            finishPending(ch, timeout, deadline);
            while (true) {
                int n = ch.read(buf);
                if (n != 0) {
                    JsonObject o = new JsonObject();
                    // -1 is end of stream: empty data
                    o.addProperty("data", n < 0 ? "" : Base64.getEncoder().encodeToString(
                        Arrays.copyOf(buf.array(), n)));
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_READ, deadline)) throw wouldBlock(timeout, "read");
            }
        } catch (IOException | RuntimeException | OpError e) {
            throw errorOf(e, "read");
        }
    }

    JsonObject shutdown(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
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

    JsonObject abort(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        SocketChannel ch = stream(s, "stream.abort");
        try {
            // the documented abortive close: SO_LINGER on with a zero timeout, then close
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "setOption SO_LINGER");
        }
        handles.remove(args.integer("handle"));
        closeQuietly(ch);
        return new JsonObject();
    }
}
