package sockspec;

import static sockspec.Addresses.address;
import static sockspec.Addresses.endpoints;
import static sockspec.Addresses.socketAddress;
import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;
import static sockspec.Options.applyOptions;
import static sockspec.StreamOps.deadline;
import static sockspec.StreamOps.wouldBlock;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * UDP: udp.bind with Bootstrap (NioDatagramChannel / EpollDatagramChannel), udp.connect with
 * Channel.connect, udp.sendto with writeAndFlush(DatagramPacket) (or the bare ByteBuf on a
 * connected channel), udp.recvfrom from the DatagramPackets of channelRead (Inbound).
 *
 * Set: RCVBUF_ALLOCATOR = FixedRecvByteBufAllocator(65536). Netty's default for datagram
 * channels is a fixed 2048-byte buffer, which silently cuts longer datagrams; 65536 holds any
 * UDP payload. The adapter cuts a datagram at "max" itself, so "truncated" is emulated.
 */
final class DatagramOps {
    static final int MAX_DATAGRAM = 65536;

    private final Handles handles;
    private final Net net;

    DatagramOps(Handles handles, Net net) {
        this.handles = handles;
        this.net = net;
    }

    static Channel datagram(Handles.Sock s, String op) throws OpError {
        if (s.server != null) throw unsupported(op + ": this handle is an echo server (serve.start), not a channel");
        if (s.channel instanceof DatagramChannel) return s.channel;
        throw unsupported(op + ": Netty's " + s.channel.getClass().getSimpleName() + " has no such operation");
    }

    JsonObject bind(Args args) throws OpError {
        String fam = args.string("family");
        SocketProtocolFamily family = Net.family(args.family());
        InetSocketAddress address = socketAddress(args.family(), args.string("host"), args.integer("port", 0));
        JsonObject options = args.object("options");
        Bootstrap b = new Bootstrap()
            .group(net.group)
            .channelFactory(() -> net.datagramChannel(family))
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
            .handler(new Inbound());
        Channel ch = StreamOps.registered(b.register(), "register");
        try {
            applyOptions(ch, fam, options);
            StreamOps.bind(ch, address);
            JsonObject o = new JsonObject();
            o.add("local", address(ch.localAddress()));
            o.addProperty("handle", handles.register(ch, StreamOps.inbound(ch), fam));
            return o;
        } catch (OpError | RuntimeException e) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw errorOf(e, "bind");
        }
    }

    JsonObject connect(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        Channel ch = datagram(s, "udp.connect");
        InetSocketAddress remote = socketAddress(
            s.family.equals("ipv4") ? java.net.StandardProtocolFamily.INET : java.net.StandardProtocolFamily.INET6,
            args.string("host"), args.integer("port"));
        ChannelFuture f = ch.connect(remote).awaitUninterruptibly();
        if (!f.isSuccess()) throw errorOf(f.cause(), "connect");
        return endpoints(ch);
    }

    /**
     * udp.disconnect (1.5): Channel.disconnect(). A DatagramChannel's metadata has
     * hasDisconnect(), so Netty disconnects instead of closing: NioDatagramChannel.doDisconnect
     * calls java.nio's DatagramChannel.disconnect(), EpollDatagramChannel.doDisconnect the
     * native socket's disconnect (connect to AF_UNSPEC).
     */
    JsonObject disconnect(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        Channel ch = datagram(s, "udp.disconnect");
        ChannelFuture f = ch.disconnect().awaitUninterruptibly();
        if (!f.isSuccess()) throw errorOf(f.cause(), "disconnect");
        return new JsonObject();
    }

    JsonObject sendto(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        byte[] data = args.data();
        InetSocketAddress target = null;
        if (args.has("host")) target = socketAddress(
            s.family.equals("ipv4") ? java.net.StandardProtocolFamily.INET : java.net.StandardProtocolFamily.INET6,
            args.string("host"), args.integer("port"));
        double timeout = args.timeout();
        datagram(s, "udp.sendto");
        long deadline = deadline(timeout);
        StreamOps.drainPrevious(s, timeout, deadline, "send");
        Object msg = target == null ? Unpooled.wrappedBuffer(data) : new DatagramPacket(Unpooled.wrappedBuffer(data), target);
        StreamOps.write(s, msg, target == null ? "write" : "send");
        JsonObject o = new JsonObject();
        o.addProperty("sent", data.length);
        return o;
    }

    JsonObject recvfrom(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        long max = args.integer("max");
        if (max < 1) throw bad("max must be >= 1");
        double timeout = args.timeout();
        Channel ch = datagram(s, "udp.recvfrom");
        long deadline = deadline(timeout);
        Inbound in = s.inbound;
        boolean asked = false;
        while (true) {
            Object item = in.take();
            if (item != null) {
                Inbound.Datagram d = (Inbound.Datagram) item;
                int kept = (int) Math.min(d.data.length, max);
                JsonObject o = new JsonObject();
                o.addProperty("data", Base64.getEncoder().encodeToString(Arrays.copyOf(d.data, kept)));
                o.add("peer", address(d.sender));
                o.addProperty("truncated", d.data.length > max);
                JsonArray emulated = new JsonArray();
                emulated.add("truncated"); // Netty hands over the whole datagram; the adapter cuts it
                o.add("emulated", emulated);
                return o;
            }
            Throwable err = in.takeError();
            if (err != null) throw errorOf(err, "receive");
            if (!ch.isOpen()) throw OpError.supplied("EBADF", "receive: the channel is closed");
            if (!asked) {
                ch.read(); // AUTO_READ is off: one read, into Inbound
                net.turn();
                asked = true;
                continue;
            }
            if (timeout == 0 || !in.await(deadline)) throw wouldBlock(timeout, "receive");
        }
    }
}
