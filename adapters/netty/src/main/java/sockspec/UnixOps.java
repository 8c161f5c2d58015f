package sockspec;

import static sockspec.Addresses.address;
import static sockspec.Addresses.endpoints;
import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;
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
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Unix-domain sockets (protocol 1.4) with Netty's own channels.
 *
 * <ul>
 * <li>epoll: EpollServerDomainSocketChannel / EpollDomainSocketChannel (stream),
 * EpollDomainDatagramChannel (dgram), DomainSocketAddress, and
 * EpollDomainSocketChannel.peerCredentials() (SO_PEERCRED) for unix.peercred.</li>
 * <li>NIO: NioServerDomainSocketChannel / NioDomainSocketChannel (stream only, over the
 * JDK's UnixDomainSocketAddress, JDK 16+): no datagram, no peer credentials, no abstract
 * names (the JDK refuses a NUL in a path).</li>
 * </ul>
 * Neither has seqpacket, socketpair, SCM_RIGHTS as a request/answer pair the protocol can
 * drive, or SCM_CREDENTIALS: those answer UNSUPPORTED and are not declared.
 */
final class UnixOps {
    static final int MAX_UNIX_DATAGRAM = 1 << 18; // more than the default SO_SNDBUF allows one datagram

    private final Handles handles;
    private final Net net;
    private final StreamOps stream;

    UnixOps(Handles handles, Net net, StreamOps stream) {
        this.handles = handles;
        this.net = net;
        this.stream = stream;
    }

    static String kind(Args args) throws OpError {
        String kind = args.string("kind");
        if (!kind.equals("stream") && !kind.equals("dgram") && !kind.equals("seqpacket"))
            throw bad("unknown Unix socket kind '" + kind + "'");
        return kind;
    }

    static boolean isTrue(JsonObject raw, String key) throws OpError {
        if (!raw.get(key).isJsonPrimitive() || !raw.get(key).getAsJsonPrimitive().isBoolean())
            throw bad("argument '" + key + "' must be a bool");
        return raw.get(key).getAsBoolean();
    }

    /** A protocol Unix address as the transport's SocketAddress; null: unnamed. */
    SocketAddress parse(JsonObject raw, String name, boolean destination) throws OpError {
        if (raw == null) throw bad("missing argument '" + name + "'");
        Args a = new Args(raw);
        if (raw.has("path")) {
            String path = a.string("path");
            if (path.isEmpty()) throw new OpError("EINVAL", "an empty path names no socket");
            if (net.epoll) return new DomainSocketAddress(path);
            try {
                return UnixDomainSocketAddress.of(path);
            } catch (InvalidPathException e) {
                throw OpError.supplied("EINVAL", "UnixDomainSocketAddress.of: " + e.getMessage());
            }
        }
        if (raw.has("abstract")) {
            String abs = a.string("abstract");
            // Linux's abstract namespace: Netty's DomainSocketAddress takes the leading NUL as is
            // (the native bind passes the path's length, so the name is not padded)
            if (net.epoll) return new DomainSocketAddress("\0" + abs);
            throw unsupported("abstract name '" + abs + "': the JDK's UnixDomainSocketAddress refuses a NUL "
                + "(unix.abstract not declared)");
        }
        if (raw.has("unnamed")) {
            if (!isTrue(raw, "unnamed")) throw bad("unnamed must be true");
            if (destination) throw new OpError("EINVAL", "an unnamed address names no socket to reach");
            return null;
        }
        if (raw.has("autobind")) {
            if (!isTrue(raw, "autobind")) throw bad("autobind must be true");
            if (destination) throw new OpError("EINVAL", "autobind only binds a socket");
            throw unsupported("autobind: not declared (unix.autobind)");
        }
        throw bad("argument '" + name + "' is not a Unix address (path, abstract, unnamed, autobind)");
    }

    JsonObject listen(Args args) throws OpError {
        String kind = kind(args);
        if (!kind.equals("stream")) throw unsupported("unix.listen: Netty has no Unix " + kind + " server channel");
        SocketAddress local = parse(args.object("address"), "address", false);
        long backlog = args.integer("backlog", 128);
        if (local == null)
            throw OpError.supplied("EINVAL", "listen: an unnamed server channel cannot listen");
        return stream.listenOn(net::serverDomainSocketChannel, local, backlog, null, "unix");
    }

    JsonObject connect(Args args) throws OpError {
        String kind = kind(args);
        SocketAddress remote = parse(args.object("address"), "address", true);
        JsonObject bindArg = args.object("bind");
        SocketAddress local = bindArg == null ? null : parse(bindArg, "bind", false);
        double timeout = args.timeout();
        if (kind.equals("stream")) {
            Channel ch = stream.newClient(net::domainSocketChannel, "unix", null);
            return stream.connectChannel(ch, local, remote, timeout, "unix");
        }
        if (kind.equals("dgram") && net.epoll) {
            Channel ch = newDatagram(false);
            try {
                if (local != null) StreamOps.bind(ch, local);
                ChannelFuture f = ch.connect(remote).awaitUninterruptibly();
                if (!f.isSuccess()) throw errorOf(f.cause(), "connect");
                JsonObject o = endpoints(ch);
                o.addProperty("handle", handles.register(ch, StreamOps.inbound(ch), "unix"));
                return o;
            } catch (OpError | RuntimeException e) {
                ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
                throw errorOf(e, "connect");
            }
        }
        throw unsupported("unix.connect: Netty's " + net.name + " transport has no Unix " + kind + " channel");
    }

    /**
     * An EpollDomainDatagramChannel. Unbound ("unnamed"), Netty's datagram channel is not
     * active and refuses to write (NotYetConnectedException) until bound or connected; with
     * ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, Netty's own switch for that, it
     * is active as soon as it is registered (set only for unix.bind of an unnamed address).
     */
    Channel newDatagram(boolean activeOnRegistration) throws OpError {
        Bootstrap b = new Bootstrap()
            .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, activeOnRegistration)
            .group(net.group)
            .channel(EpollDomainDatagramChannel.class)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_UNIX_DATAGRAM))
            .handler(new Inbound());
        return StreamOps.registered(b.register(), "register");
    }

    JsonObject bind(Args args) throws OpError {
        String kind = kind(args);
        SocketAddress local = parse(args.object("address"), "address", false);
        if (!kind.equals("dgram") || !net.epoll)
            throw unsupported("unix.bind: Netty's " + net.name + " transport has no Unix " + kind + " datagram channel");
        Channel ch = newDatagram(local == null);
        try {
            if (local != null) StreamOps.bind(ch, local);
            JsonObject o = new JsonObject();
            o.add("local", address(ch.localAddress()));
            o.addProperty("handle", handles.register(ch, StreamOps.inbound(ch), "unix"));
            return o;
        } catch (OpError | RuntimeException e) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            throw errorOf(e, "bind");
        }
    }

    JsonObject sendto(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        byte[] data = args.data();
        double timeout = args.timeout();
        if (args.has("fds")) {
            if (!args.raw.get("fds").isJsonArray()) throw bad("fds must be an array of handles");
            if (args.raw.get("fds").getAsJsonArray().size() > 0)
                throw unsupported("unix.sendto: fds (SCM_RIGHTS) not declared (unix.rights)");
        }
        SocketAddress target = null;
        JsonObject addr = args.object("address");
        if (addr != null) target = parse(addr, "address", true);
        if (s.server != null) throw unsupported("unix.sendto: this handle is an echo server");
        long deadline = deadline(timeout);
        if (s.channel instanceof DomainDatagramChannel) {
            StreamOps.drainPrevious(s, timeout, deadline, "send");
            Object msg = target == null ? Unpooled.wrappedBuffer(data)
                : new DomainDatagramPacket(Unpooled.wrappedBuffer(data), (DomainSocketAddress) target);
            StreamOps.write(s, msg, "send");
        } else if (!s.isListener() && s.channel instanceof io.netty.channel.socket.DuplexChannel) {
            if (data.length > 0) {
                StreamOps.drainPrevious(s, timeout, deadline, "write");
                StreamOps.write(s, Unpooled.wrappedBuffer(data), "write");
            }
        } else {
            throw unsupported("unix.sendto: not a Unix socket");
        }
        JsonObject o = new JsonObject();
        o.addProperty("sent", data.length);
        return o;
    }

    JsonObject recvfrom(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        long max = args.integer("max");
        if (max < 1) throw bad("max must be >= 1");
        double timeout = args.timeout();
        if (args.has("maxfds")) args.integer("maxfds");
        if (s.server != null) throw unsupported("unix.recvfrom: this handle is an echo server");
        JsonObject o;
        if (s.channel instanceof DomainDatagramChannel) {
            o = recvDatagram(s, max, timeout);
        } else if (!s.isListener() && s.channel instanceof io.netty.channel.socket.DuplexChannel) {
            o = stream.recvFrom(s, s.channel, (int) Math.min(max, StreamOps.MAX_STREAM_READ), timeout);
            o.add("peer", address(s.channel.remoteAddress()));
            o.addProperty("truncated", false);
        } else {
            throw unsupported("unix.recvfrom: not a Unix socket");
        }
        o.add("fds", new JsonArray());
        o.addProperty("ctrunc", false);
        return o;
    }

    JsonObject recvDatagram(Handles.Sock s, long max, double timeout) throws OpError {
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
            if (!s.channel.isOpen()) throw OpError.supplied("EBADF", "receive: the channel is closed");
            if (!asked) {
                s.channel.read();
                net.turn();
                asked = true;
                continue;
            }
            if (timeout == 0 || !in.await(deadline)) throw wouldBlock(timeout, "receive");
        }
    }

    JsonObject peercred(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        if (!(s.channel instanceof EpollDomainSocketChannel))
            throw unsupported("unix.peercred: only EpollDomainSocketChannel has peerCredentials()");
        PeerCredentials c;
        try {
            c = ((EpollDomainSocketChannel) s.channel).peerCredentials();
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "peerCredentials");
        }
        JsonObject o = new JsonObject();
        o.addProperty("pid", c.pid());
        o.addProperty("uid", c.uid());
        int[] gids = c.gids();
        o.addProperty("gid", gids.length > 0 ? gids[0] : 0);
        return o;
    }

    /** Removes a pathname socket's file, as a Java program does: Files.delete (Netty has no unlink). */
    JsonObject unlink(Args args) throws OpError {
        JsonObject raw = args.object("address");
        if (raw != null && !raw.has("path")) {
            try {
                parse(raw, "address", true);
            } catch (OpError e) {
                if (e.code.equals("BADREQUEST")) throw e;
            }
            throw new OpError("EINVAL", "only a pathname socket has a file to remove");
        }
        if (raw == null) throw bad("missing argument 'address'");
        String path = new Args(raw).string("path");
        try {
            Files.delete(Paths.get(path));
        } catch (NoSuchFileException e) {
            throw OpError.supplied("ENOENT", "Files.delete: NoSuchFileException: " + e.getMessage());
        } catch (AccessDeniedException e) {
            throw OpError.supplied("EACCES", "Files.delete: AccessDeniedException: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "Files.delete");
        }
        return new JsonObject();
    }

    JsonObject socketpair(Args args) throws OpError {
        kind(args);
        throw unsupported("unix.socketpair: Netty makes no socketpair channel");
    }
}
