package sockspec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.util.ReferenceCountUtil;

import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * The last handler of every channel the requests create: what the channel reads waits here
 * for the protocol's blocking operations (stream.recv, udp.recvfrom, tcp.accept), the way a
 * Netty application meets data: in channelRead.
 *
 * The channels run with AUTO_READ off (Netty's own flow control, ChannelConfig.setAutoRead):
 * a request that finds this queue empty asks the channel for one read (Channel.read()), so
 * what nobody asked for stays in the kernel, as it would without Netty.
 *
 * Everything here is touched by the event loop (the handler methods) and by the request
 * thread (the take methods), under this object's monitor.
 */
final class Inbound extends ChannelInboundHandlerAdapter {
    /** One datagram: its bytes and its sender. */
    static final class Datagram {
        final byte[] data;
        final SocketAddress sender;

        Datagram(byte[] data, SocketAddress sender) {
            this.data = data;
            this.sender = sender;
        }
    }

    private final ArrayDeque<Object> queue = new ArrayDeque<>(); // byte[], Datagram or Channel
    private int offset; // into the first byte[] of a stream
    private Throwable error; // exceptionCaught, answered once
    private boolean inactive; // channelInactive: end of stream (Netty closed the channel)
    private boolean wasActive;

    // ---- the event loop's side --------------------------------------------------------------

    @Override
    public synchronized void channelActive(ChannelHandlerContext ctx) {
        wasActive = true;
        ctx.fireChannelActive();
    }

    /** An accepted child, queued by the listener's childHandler (ChannelInitializer). */
    synchronized void offer(Channel child) {
        queue.add(child);
        notifyAll();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Channel) { // a listener's accepted child: ServerBootstrapAcceptor registers it
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            Object item;
            if (msg instanceof DatagramPacket) {
                DatagramPacket p = (DatagramPacket) msg;
                item = new Datagram(ByteBufUtil.getBytes(p.content()), p.sender());
            } else if (msg instanceof DomainDatagramPacket) {
                DomainDatagramPacket p = (DomainDatagramPacket) msg;
                item = new Datagram(ByteBufUtil.getBytes(p.content()), p.sender());
            } else if (msg instanceof ByteBuf) {
                ByteBuf b = (ByteBuf) msg;
                if (!b.isReadable()) return;
                item = ByteBufUtil.getBytes(b);
            } else {
                return;
            }
            synchronized (this) {
                queue.add(item);
                notifyAll();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        synchronized (this) {
            if (error == null) error = cause;
            notifyAll();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        synchronized (this) {
            inactive = true;
            notifyAll();
        }
        ctx.fireChannelInactive();
    }

    // ---- the request thread's side ----------------------------------------------------------

    synchronized boolean wasActive() {
        return wasActive;
    }

    synchronized boolean isEmpty() {
        return queue.isEmpty();
    }

    synchronized boolean ended() {
        return inactive;
    }

    /** The pending error, once (the kernel too reports an error once). */
    synchronized Throwable takeError() {
        Throwable e = error;
        error = null;
        return e;
    }

    synchronized boolean hasError() {
        return error != null;
    }

    /** Up to max bytes of the stream, or null if none are queued. */
    synchronized byte[] takeBytes(int max) {
        byte[] first = (byte[]) queue.peek();
        if (first == null) return null;
        int n = Math.min(max, first.length - offset);
        byte[] out = new byte[n];
        System.arraycopy(first, offset, out, 0, n);
        offset += n;
        if (offset == first.length) {
            queue.poll();
            offset = 0;
        }
        // more chunks, as one read(2) would give what the kernel holds
        while (n < max && !queue.isEmpty()) {
            byte[] next = (byte[]) queue.peek();
            int m = Math.min(max - n, next.length);
            byte[] grown = new byte[n + m];
            System.arraycopy(out, 0, grown, 0, n);
            System.arraycopy(next, 0, grown, n, m);
            out = grown;
            n += m;
            if (m == next.length) queue.poll();
            else {
                offset = m;
                break;
            }
        }
        return out;
    }

    synchronized Object take() {
        return queue.poll();
    }

    /** Waits for news (data, error, end) until the deadline (System.nanoTime); false: the time is up. */
    synchronized boolean await(long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        try {
            long ms = left / 1_000_000, ns = left % 1_000_000;
            wait(ms, (int) ns);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    /** What is still queued (accepted children) when the channel goes: for closing. */
    synchronized Object[] drain() {
        Object[] all = queue.toArray();
        queue.clear();
        return all;
    }
}
