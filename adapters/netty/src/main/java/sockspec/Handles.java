package sockspec;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The open channels by handle number (never reused). */
final class Handles {
    /** One open channel: its Inbound queue, its family, and the last write still under way. */
    static final class Sock {
        final Channel channel;
        final Inbound inbound;
        final String family; // "ipv4", "ipv6", "unix"
        final ServeOps.Server server; // an echo server of serve.start, else null
        ChannelFuture lastWrite; // stream.send / udp.sendto: Netty's buffer drains before the next one
        boolean lastWriteReported;

        Sock(Channel channel, Inbound inbound, String family, ServeOps.Server server) {
            this.channel = channel;
            this.inbound = inbound;
            this.family = family;
            this.server = server;
        }

        boolean isListener() {
            return channel instanceof ServerChannel;
        }
    }

    private final Map<Long, Sock> table = new LinkedHashMap<>();
    /** Closed handles whose last write was still draining: close() waits for it (see close). */
    private final Set<Channel> closing = ConcurrentHashMap.newKeySet();
    private long nextHandle = 1;

    long register(Channel channel, Inbound inbound, String family) {
        long handle = nextHandle++;
        table.put(handle, new Sock(channel, inbound, family, null));
        return handle;
    }

    long register(ServeOps.Server server, String family) {
        long handle = nextHandle++;
        table.put(handle, new Sock(server.channel(), null, family, server));
        return handle;
    }

    Sock get(Args args) throws OpError {
        long handle = args.integer("handle");
        Sock s = table.get(handle);
        if (s == null) throw new OpError("EBADF", "no open handle " + handle);
        return s;
    }

    void remove(long handle) {
        table.remove(handle);
    }

    /**
     * close: Channel.close(). When a stream.send's bytes are still in Netty's outbound buffer,
     * the close follows that write (writeAndFlush(...).addListener(ChannelFutureListener.CLOSE),
     * the idiom of Netty's examples): Channel.close() at once would fail them.
     */
    void close(Sock s) {
        if (s.server != null) {
            s.server.stop();
            return;
        }
        closeQueued(s);
        if (s.lastWrite != null && !s.lastWrite.isDone()) {
            closing.add(s.channel);
            s.lastWrite.addListener(ChannelFutureListener.CLOSE);
            s.channel.closeFuture().addListener(f -> closing.remove(s.channel));
            return;
        }
        s.channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** A listener's accepted children nobody took with tcp.accept go with it. */
    static void closeQueued(Sock s) {
        if (s.inbound == null || !s.isListener()) return;
        for (Object o : s.inbound.drain()) if (o instanceof Channel) ((Channel) o).close();
    }

    /**
     * reset: every channel closed at once, orderly: SO_LINGER switched off first, so that the
     * close neither waits nor resets (protocol §5). Pending writes are Netty's to fail.
     */
    void closeAll() {
        List<Sock> all = new ArrayList<>(table.values());
        table.clear();
        List<ChannelFuture> closes = new ArrayList<>();
        for (Sock s : all) {
            if (s.server != null) {
                s.server.stop();
                continue;
            }
            closeQueued(s);
            if (!s.isListener() && s.channel.isOpen()) {
                try {
                    s.channel.config().setOption(ChannelOption.SO_LINGER, -1);
                } catch (RuntimeException ignored) {
                    // closed already
                }
            }
            closes.add(s.channel.close());
        }
        for (Channel c : new ArrayList<>(closing)) closes.add(c.close());
        closing.clear();
        for (ChannelFuture f : closes) f.awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
