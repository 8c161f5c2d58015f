package sockspec;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;

/**
 * The transport of this run: NIO (NioIoHandler, the Nio*Channel classes) or native epoll
 * (EpollIoHandler, the Epoll*Channel classes), chosen by "--transport nio|epoll".
 *
 * Two MultiThreadIoEventLoopGroups: {@link #group} has one event loop, on which every
 * channel the requests create is registered (so one submitted task is one turn of the loop
 * that serves them all); {@link #serverGroup} runs the echo servers of serve.start, as
 * Netty's EchoServer example does with a group of its own.
 */
final class Net {
    final boolean epoll;
    final String name;
    final EventLoopGroup group;
    final EventLoop loop;
    final EventLoopGroup serverGroup;

    Net(String transport) {
        this.epoll = transport.equals("epoll");
        if (epoll) Epoll.ensureAvailability(); // the native library, or an error naming why not
        this.name = epoll ? "epoll" : "nio";
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(1, factory);
        this.loop = group.next();
        this.serverGroup = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    static SocketProtocolFamily family(java.net.StandardProtocolFamily f) {
        return f == java.net.StandardProtocolFamily.INET ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
    }

    Channel socketChannel(SocketProtocolFamily f) {
        return epoll ? new EpollSocketChannel(f) : new NioSocketChannel(SelectorProvider.provider(), f);
    }

    ServerChannel serverSocketChannel(SocketProtocolFamily f) {
        return epoll ? new EpollServerSocketChannel(f) : new NioServerSocketChannel(SelectorProvider.provider(), f);
    }

    Channel datagramChannel(SocketProtocolFamily f) {
        return epoll ? new EpollDatagramChannel(f) : new NioDatagramChannel(f);
    }

    Channel domainSocketChannel() {
        return epoll ? new EpollDomainSocketChannel() : new NioDomainSocketChannel();
    }

    ServerChannel serverDomainSocketChannel() {
        return epoll ? new EpollServerDomainSocketChannel() : new NioServerDomainSocketChannel();
    }

    /**
     * One turn of the event loop (docs/adapters.md §4): a no-op task submitted now runs after
     * the loop has handled the I/O that is ready (NioIoHandler / EpollIoHandler poll without
     * waiting when a task is queued, process the ready channels, then run the tasks).
     */
    void turn() {
        loop.submit(() -> { }).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * After a close, every loop of both groups (a channel may be registered with either)
     * selects once, now. The NIO transport's channels are registered with a Selector, and
     * java.nio closes a registered channel's descriptor only when the Selector deregisters
     * its key (SelectorImpl.processDeregisterQueue, at its next select): until then a closed
     * listener still accepts connections in the kernel and an aborted connection has sent no
     * RST. Submitted turns do not force that select: a turn queued while the loop is still
     * running tasks runs in the same batch, with no select in between (seen in CI as a
     * listener that accepted after reset). So, as a marked workaround, each NIO loop calls
     * its NioIoHandler's package-private selectNow() from a task on that loop; epoll closes
     * at once and needs only a turn.
     */
    void turnAll() {
        for (EventLoopGroup g : new EventLoopGroup[] {group, serverGroup}) {
            for (io.netty.util.concurrent.EventExecutor executor : g) {
                executor.submit(() -> {
                    if (!epoll) SelectNow.on(executor);
                }).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    void shutdown() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        serverGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
}
