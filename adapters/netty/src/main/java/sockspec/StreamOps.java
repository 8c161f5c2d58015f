package sockspec;

import static sockspec.Addresses.endpoints;
import static sockspec.Addresses.socketAddress;
import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;
import static sockspec.Options.applyOptions;

import com.google.gson.JsonObject;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketProtocolFamily;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Base64;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * TCP (and Unix stream) channels: tcp.listen with ServerBootstrap, tcp.connect and tcp.socket
 * with Bootstrap, tcp.accept from the children the listener's ServerBootstrapAcceptor hands
 * over, and stream.* with Channel.writeAndFlush / Channel.read / DuplexChannel.shutdown* /
 * Channel.close.
 *
 * Every channel runs with ChannelOption.AUTO_READ false: Netty reads (accepts) only when
 * asked with Channel.read(), which a request that finds nothing queued does (Inbound).
 * ALLOW_HALF_CLOSURE keeps Netty's default (false): a channel whose peer ends its stream is
 * closed by Netty.
 */
final class StreamOps {
    static final int MAX_STREAM_READ = 1 << 20;

    private final Handles handles;
    private final Net net;

    StreamOps(Handles handles, Net net) {
        this.handles = handles;
        this.net = net;
    }

    static long deadline(double timeout) {
        return System.nanoTime() + (long) Math.min(timeout * 1e9, 1e15);
    }

    static OpError wouldBlock(double timeout, String what) {
        if (timeout == 0) return new OpError("EAGAIN", what + ": would block");
        return new OpError("ETIMEDOUT", what + ": timed out after " + timeout + " s");
    }

    static long remainingMillis(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    /** Runs a task on the channel's event loop and returns what it returned. */
    static <T> T onLoop(Channel ch, java.util.concurrent.Callable<T> task) throws OpError {
        try {
            return ch.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw errorOf(e.getCause(), "event loop");
        } catch (Exception e) {
            throw errorOf(e, "event loop");
        }
    }

    /** Channel.register() of a bootstrap, answered as the channel. */
    static Channel registered(ChannelFuture reg, String what) throws OpError {
        reg.awaitUninterruptibly(10, TimeUnit.SECONDS);
        if (!reg.isSuccess()) {
            reg.channel().close();
            throw errorOf(reg.cause() == null ? new RuntimeException("register timed out") : reg.cause(), what);
        }
        return reg.channel();
    }

    /** Bind (Channel.bind) and wait for it. */
    static void bind(Channel ch, SocketAddress local) throws OpError {
        ChannelFuture f = ch.bind(local).awaitUninterruptibly();
        if (!f.isSuccess()) throw errorOf(f.cause(), "bind");
    }

    // ---- creating ---------------------------------------------------------------------------

    /**
     * A listener: ServerBootstrap with AUTO_READ off on the server channel (accepts happen when
     * tcp.accept asks) and on its children; the children go to the listener's Inbound.
     */
    JsonObject listenOn(Supplier<ServerChannel> factory, SocketAddress address, long backlog, JsonObject options,
                        String family) throws OpError {
        Inbound accepted = new Inbound();
        ServerBootstrap b = new ServerBootstrap()
            .group(net.group)
            .channelFactory(factory::get)
            .option(ChannelOption.AUTO_READ, false)
            .handler(accepted)
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new Inbound());
                    accepted.offer(ch); // tcp.accept takes it from here
                }
            });
        Channel ch = registered(b.register(), "register");
        try {
            applyOptions(ch, family, options);
            ch.config().setOption(ChannelOption.SO_BACKLOG,
                (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, backlog)));
            bind(ch, address);
            JsonObject o = new JsonObject();
            o.add("local", Addresses.address(ch.localAddress()));
            o.addProperty("handle", handles.register(ch, accepted, family));
            return o;
        } catch (OpError | RuntimeException e) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw errorOf(e, "bind");
        }
    }

    JsonObject listen(Args args) throws OpError {
        String fam = args.string("family");
        SocketProtocolFamily family = Net.family(args.family());
        InetSocketAddress address = socketAddress(args.family(), args.string("host"), args.integer("port", 0));
        long backlog = args.integer("backlog", 128);
        JsonObject options = args.object("options");
        return listenOn(() -> net.serverSocketChannel(family), address, backlog, options, fam);
    }

    /** A Bootstrap for a connecting channel, registered with the options applied. */
    Channel newClient(Supplier<Channel> factory, String family, JsonObject options) throws OpError {
        Bootstrap b = new Bootstrap()
            .group(net.group)
            .channelFactory(factory::get)
            .option(ChannelOption.AUTO_READ, false)
            .handler(new Inbound());
        Channel ch = registered(b.register(), "register");
        try {
            applyOptions(ch, family, options);
        } catch (OpError | RuntimeException e) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw errorOf(e, "configure");
        }
        return ch;
    }

    static Inbound inbound(Channel ch) {
        return ch.pipeline().get(Inbound.class);
    }

    JsonObject socket(Args args) throws OpError {
        String fam = args.string("family");
        SocketProtocolFamily family = Net.family(args.family());
        Channel ch = newClient(() -> net.socketChannel(family), fam, args.object("options"));
        JsonObject o = new JsonObject();
        o.addProperty("handle", handles.register(ch, inbound(ch), fam));
        return o;
    }

    JsonObject connect(Args args) throws OpError {
        String fam = args.string("family");
        SocketProtocolFamily family = Net.family(args.family());
        InetSocketAddress remote = socketAddress(args.family(), args.string("host"), args.integer("port"));
        double timeout = args.timeout();
        JsonObject bindArg = args.object("bind");
        InetSocketAddress local = null;
        if (bindArg != null) {
            Args b = new Args(bindArg);
            local = socketAddress(args.family(), b.string("host"), b.integer("port", 0));
        }
        Channel ch = newClient(() -> net.socketChannel(family), fam, args.object("options"));
        return connectChannel(ch, local, remote, timeout, fam);
    }

    /** Channel.connect, waited for on its future; timeout 0: the future after one turn of the loop. */
    JsonObject connectChannel(Channel ch, SocketAddress local, SocketAddress remote, double timeout, String fam)
            throws OpError {
        try {
            if (local != null) bind(ch, local);
            ChannelFuture f;
            if (timeout == 0) {
                // Channel.connect run on the event loop itself, its future looked at in the same
                // task: done only if the connect completed at once (not whether the loop got to
                // the handshake's completion before some later turn)
                final ChannelFuture[] started = new ChannelFuture[1];
                boolean done = onLoop(ch, () -> {
                    started[0] = ch.connect(remote);
                    return started[0].isDone(); // here, before the loop can finish the handshake
                });
                f = started[0];
                if (!done)
                    throw OpError.supplied("EINPROGRESS", "connect: the ChannelFuture was not done when "
                        + "Channel.connect returned (timeout 0)");
            } else {
                f = ch.connect(remote);
                if (!f.awaitUninterruptibly(Math.max(1, (long) (timeout * 1000))))
                    throw new OpError("ETIMEDOUT", "connect: timed out after " + timeout + " s");
            }
            if (!f.isSuccess()) throw errorOf(f.cause(), "connect");
            JsonObject o = endpoints(ch);
            o.addProperty("handle", handles.register(ch, inbound(ch), fam));
            return o;
        } catch (OpError | RuntimeException e) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw errorOf(e, "connect");
        }
    }

    JsonObject accept(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        double timeout = args.timeout();
        if (s.server != null)
            throw unsupported("tcp.accept: this handle is an echo server (serve.start): Netty accepts for it");
        if (!s.isListener())
            throw unsupported("tcp.accept: only a ServerChannel accepts");
        long deadline = deadline(timeout);
        Inbound in = s.inbound;
        boolean asked = false;
        while (true) {
            Object child = in.take();
            if (child != null) {
                Channel c = (Channel) child;
                // the child is registered by ServerBootstrapAcceptor: wait for that
                onLoop(c, () -> null);
                JsonObject o = endpoints(c);
                o.addProperty("handle", handles.register(c, inbound(c), s.family));
                return o;
            }
            Throwable err = in.takeError();
            if (err != null) throw errorOf(err, "accept");
            if (!s.channel.isOpen()) throw OpError.supplied("EBADF", "accept: the ServerChannel is closed");
            if (!asked) {
                s.channel.read(); // one accept batch (AUTO_READ is off)
                net.turn();
                asked = true;
                continue;
            }
            if (timeout == 0 || !in.await(deadline)) throw wouldBlock(timeout, "accept");
        }
    }

    // ---- stream.* ---------------------------------------------------------------------------

    static Channel stream(Handles.Sock s, String op) throws OpError {
        if (s.server != null) throw unsupported(op + ": this handle is an echo server (serve.start)");
        if (s.channel instanceof DuplexChannel) return s.channel;
        throw unsupported(op + ": Netty's " + s.channel.getClass().getSimpleName() + " has no such operation");
    }

    /**
     * Waits (up to the deadline) until the previous write has left Netty's outbound buffer for
     * the kernel (protocol §6: a runtime that buffers writes in user space takes every byte,
     * and the next send waits for that buffer to drain); reports its failure once.
     */
    static void drainPrevious(Handles.Sock s, double timeout, long deadline, String what) throws OpError {
        ChannelFuture prev = s.lastWrite;
        if (prev == null) return;
        if (!prev.isDone()) {
            if (timeout == 0 || !prev.awaitUninterruptibly(Math.max(1, remainingMillis(deadline))))
                throw wouldBlock(timeout, what + ": the previous write is still in Netty's outbound buffer");
        }
        if (!prev.isSuccess() && !s.lastWriteReported) {
            s.lastWriteReported = true;
            throw writeError(s.channel, prev.cause(), what + " (the previous write failed)");
        }
    }

    /** writeAndFlush on the event loop; a write that fails at once is this request's error. */
    static ChannelFuture write(Handles.Sock s, Object msg, String what) throws OpError {
        final ChannelFuture[] started = new ChannelFuture[1];
        // the outcome as it stands when writeAndFlush returns, read on the event loop itself
        // (not whenever this thread gets to look: the loop may meanwhile finish or fail it)
        Throwable failedAtOnce = onLoop(s.channel, () -> {
            started[0] = s.channel.writeAndFlush(msg);
            return started[0].isDone() && !started[0].isSuccess() ? started[0].cause() : null;
        });
        ChannelFuture f = started[0];
        s.lastWrite = f;
        s.lastWriteReported = false;
        if (failedAtOnce != null) {
            s.lastWriteReported = true;
            throw writeError(s.channel, failedAtOnce, what);
        }
        return f;
    }

    /**
     * After DuplexChannel.shutdownOutput() Netty fails every write itself, with a plain
     * ClosedChannelException (AbstractUnsafe.write: the outbound buffer is gone), without a
     * system call. On a channel that is still open with its output shut down, the POSIX name
     * for that is EPIPE ("shut down for writing"); supplied. A channel Netty has closed
     * altogether answers EBADF (Errnos), supplied too.
     */
    static OpError writeError(Channel ch, Throwable cause, String what) {
        if (cause instanceof java.nio.channels.ClosedChannelException && ch.isOpen()
                && ch instanceof DuplexChannel && ((DuplexChannel) ch).isOutputShutdown())
            return OpError.supplied("EPIPE", what + ": " + Errnos.describe(cause)
                + " (the channel is open, its output shut down)");
        return errorOf(cause, what);
    }

    JsonObject send(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        byte[] data = args.data();
        double timeout = args.timeout();
        stream(s, "stream.send");
        JsonObject o = new JsonObject();
        if (data.length == 0) {
            o.addProperty("sent", 0);
            return o;
        }
        long deadline = deadline(timeout);
        drainPrevious(s, timeout, deadline, "write");
        write(s, Unpooled.wrappedBuffer(data), "write");
        o.addProperty("sent", data.length); // Netty takes every byte (ChannelOutboundBuffer)
        return o;
    }

    JsonObject recv(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        long max = args.integer("max");
        if (max < 1) throw bad("max must be >= 1");
        double timeout = args.timeout();
        Channel ch = stream(s, "stream.recv");
        return recvFrom(s, ch, (int) Math.min(max, MAX_STREAM_READ), timeout);
    }

    JsonObject recvFrom(Handles.Sock s, Channel ch, int max, double timeout) throws OpError {
        long deadline = deadline(timeout);
        Inbound in = s.inbound;
        boolean asked = false;
        while (true) {
            byte[] got = in.takeBytes(max);
            if (got != null) {
                JsonObject o = new JsonObject();
                o.addProperty("data", Base64.getEncoder().encodeToString(got));
                return o;
            }
            Throwable err = in.takeError();
            if (err != null) throw errorOf(err, "read");
            if (!in.wasActive() && ch.isOpen() && !ch.isActive()) // never connected (tcp.socket)
                throw OpError.supplied("ENOTCONN", "read: the channel is not connected (isActive() is false)");
            if (in.ended() || !ch.isActive() || ((DuplexChannel) ch).isInputShutdown()) {
                JsonObject o = new JsonObject();
                // end of stream: Netty closed the channel (its peer ended the stream: ALLOW_HALF_CLOSURE
                // is off), or DuplexChannel.isInputShutdown() after shutdownInput
                o.addProperty("data", "");
                return o;
            }
            if (!asked) {
                ch.read(); // AUTO_READ is off: one read, into Inbound
                net.turn();
                asked = true;
                continue;
            }
            if (timeout == 0 || !in.await(deadline)) throw wouldBlock(timeout, "read");
        }
    }

    JsonObject shutdown(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        String how = args.string("how");
        if (!how.equals("read") && !how.equals("write") && !how.equals("both"))
            throw bad("unknown shutdown direction '" + how + "'");
        DuplexChannel ch = (DuplexChannel) stream(s, "stream.shutdown");
        ChannelFuture f;
        if (!ch.isActive() && ch.isOpen())
            throw OpError.supplied("ENOTCONN", "shutdown: the channel is not connected (isActive() is false)");
        if (how.equals("read")) {
            f = ch.shutdownInput();
        } else {
            // after the last write has drained (shutdownOutput fails what is still queued)
            ChannelFuture prev = s.lastWrite;
            if (prev != null && !prev.isDone()) {
                prev.addListener(done -> {
                    if (how.equals("write")) ch.shutdownOutput();
                    else ch.shutdown();
                });
                return new JsonObject();
            }
            f = how.equals("write") ? ch.shutdownOutput() : ch.shutdown();
        }
        f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (f.isDone() && !f.isSuccess()) throw errorOf(f.cause(), "shutdown");
        return new JsonObject();
    }

    JsonObject abort(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        Channel ch = stream(s, "stream.abort");
        try {
            // the abortive close: SO_LINGER on with a zero timeout, then close
            if (!ch.config().setOption(ChannelOption.SO_LINGER, 0))
                throw OpError.supplied("ENOPROTOOPT", "setOption SO_LINGER: not known to this channel");
        } catch (RuntimeException e) {
            throw errorOf(e, "setOption SO_LINGER");
        }
        handles.remove(args.integer("handle"));
        ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        net.turnAll(); // NIO: the descriptor (and so the RST) goes at the Selector's next select
        return new JsonObject();
    }
}
