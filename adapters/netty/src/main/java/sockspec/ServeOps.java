package sockspec;

import static sockspec.Addresses.address;
import static sockspec.Addresses.socketAddress;
import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonObject;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * serve.start / serve.stop (protocol 1.2): echo servers as Netty's own examples write them
 * (io.netty.example.echo.EchoServer / EchoServerHandler, and a datagram handler as in
 * io.netty.example.qotm), on an event loop group of their own, beside the request loop.
 *
 * TCP: ServerBootstrap, SO_BACKLOG = the request's backlog, a ChannelInitializer adding
 * {@link EchoServerHandler}: channelRead writes the message back (ctx.write),
 * channelReadComplete flushes, exceptionCaught closes. Back-pressure is Netty's documented
 * flow control: when the channel stops being writable (outbound buffer above
 * WRITE_BUFFER_WATER_MARK's high mark, default 64 KiB) the handler turns AUTO_READ off, and
 * on again when it drains below the low mark (32 KiB). ALLOW_HALF_CLOSURE keeps Netty's
 * default (false): on the client's end of stream Netty closes the connection itself.
 *
 * UDP: Bootstrap with the datagram channel and {@link EchoDatagramHandler}, writing every
 * DatagramPacket back to its sender; RCVBUF_ALLOCATOR = FixedRecvByteBufAllocator(65536)
 * so that a datagram is echoed whole (Netty's default is 2048 bytes).
 */
final class ServeOps {
    static final long DEFAULT_BACKLOG = 1024;

    /** A running echo server. */
    interface Server {
        Channel channel();

        long stop();
    }

    /** Netty's EchoServerHandler, with the writability flow control of Netty's docs. */
    @Sharable
    static final class EchoServerHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Every datagram back to its sender. */
    @Sharable
    static final class EchoDatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.write(new DatagramPacket(packet.content().retain(), packet.sender()));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // an ICMP error of one client (PortUnreachableException) ends nothing: keep serving
        }
    }

    /** Every Unix datagram back to its sender; one from an unnamed sender cannot be answered: dropped. */
    @Sharable
    static final class EchoDomainDatagramHandler extends SimpleChannelInboundHandler<DomainDatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
            DomainSocketAddress sender = packet.sender();
            if (sender == null || sender.path().isEmpty()) return;
            ctx.write(new DomainDatagramPacket(packet.content().retain(), sender));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // one client's trouble (its socket gone: ECONNREFUSED) ends nothing: keep serving
        }
    }

    static final class TcpServer implements Server {
        final Channel listener;
        final ChannelGroup sessions; // every accepted connection, closed with the server
        final AtomicLong accepted;

        TcpServer(Channel listener, ChannelGroup sessions, AtomicLong accepted) {
            this.listener = listener;
            this.sessions = sessions;
            this.accepted = accepted;
        }

        public Channel channel() {
            return listener;
        }

        public long stop() {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            sessions.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            return accepted.get();
        }
    }

    static final class UdpServer implements Server {
        final Channel channel;

        UdpServer(Channel channel) {
            this.channel = channel;
        }

        public Channel channel() {
            return channel;
        }

        public long stop() {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            return -1;
        }
    }

    private final Handles handles;
    private final Net net;
    UnixOps unix; // the Unix address parsing (set by Adapter)

    ServeOps(Handles handles, Net net) {
        this.handles = handles;
        this.net = net;
    }

    JsonObject start(Args args) throws OpError {
        String kind = args.string("kind");
        Server server;
        String fam;
        switch (kind) {
            case "tcp":
            case "udp": {
                fam = args.string("family");
                SocketProtocolFamily family = Net.family(args.family());
                InetSocketAddress address = socketAddress(args.family(), args.string("host"), args.integer("port", 0));
                long backlog = args.integer("backlog", DEFAULT_BACKLOG);
                server = kind.equals("tcp")
                    ? startStream(() -> net.serverSocketChannel(family), address, backlog)
                    : startDatagram(() -> net.datagramChannel(family), address, new EchoDatagramHandler(),
                        DatagramOps.MAX_DATAGRAM);
                break;
            }
            case "unix":
            case "unixgram": {
                // (1.4) a pathname or abstract address, never unnamed or autobind
                fam = "unix";
                SocketAddress address = unix.parse(args.object("address"), "address", true);
                long backlog = args.integer("backlog", DEFAULT_BACKLOG);
                if (kind.equals("unix")) {
                    server = startStream(net::serverDomainSocketChannel, address, backlog);
                } else {
                    if (!net.epoll) throw unsupported("serve.start unixgram: the NIO transport has no Unix datagram channel");
                    server = startDatagram(EpollDomainDatagramChannel::new, address, new EchoDomainDatagramHandler(),
                        UnixOps.MAX_UNIX_DATAGRAM);
                }
                break;
            }
            default:
                throw bad("unknown serve kind '" + kind + "'");
        }
        JsonObject o = new JsonObject();
        o.add("local", address(server.channel().localAddress()));
        o.addProperty("handle", handles.register(server, fam));
        return o;
    }

    /** Netty's EchoServer: ServerBootstrap, SO_BACKLOG, a ChannelInitializer adding EchoServerHandler. */
    Server startStream(Supplier<ServerChannel> factory, SocketAddress address, long backlog) throws OpError {
        EchoServerHandler echo = new EchoServerHandler();
        ChannelGroup sessions = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        AtomicLong count = new AtomicLong();
        ServerBootstrap b = new ServerBootstrap()
            .group(net.serverGroup)
            .channelFactory(factory::get)
            .option(ChannelOption.SO_BACKLOG, (int) Math.max(0, Math.min(Integer.MAX_VALUE, backlog)))
            .childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    count.incrementAndGet();
                    sessions.add(ch);
                    ch.pipeline().addLast(echo);
                }
            });
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            bound.channel().close();
            throw errorOf(bound.cause(), "serve.start: bind");
        }
        return new TcpServer(bound.channel(), sessions, count);
    }

    /** A datagram echo: Bootstrap, RCVBUF_ALLOCATOR big enough for any datagram, the echo handler. */
    Server startDatagram(Supplier<Channel> factory, SocketAddress address, ChannelInboundHandlerAdapter echo,
                         int maxDatagram) throws OpError {
        Bootstrap b = new Bootstrap()
            .group(net.serverGroup)
            .channelFactory(factory::get)
            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagram))
            .handler(echo);
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            bound.channel().close();
            throw errorOf(bound.cause(), "serve.start: bind");
        }
        return new UdpServer(bound.channel());
    }

    JsonObject stop(Args args) throws OpError {
        long handle = args.integer("handle");
        Handles.Sock s = handles.get(args);
        if (s.server == null) throw OpError.supplied("EBADF", "handle " + handle + " is not a server");
        handles.remove(handle);
        long sessions = s.server.stop();
        net.turnAll(); // NIO: the descriptors are closed at the Selector's next select
        JsonObject o = new JsonObject();
        if (sessions >= 0) o.addProperty("sessions", sessions);
        return o;
    }
}
