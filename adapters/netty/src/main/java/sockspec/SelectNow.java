package sockspec;

import io.netty.channel.IoHandler;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.EventExecutor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * WORKAROUND (see README, "After every close"): Netty has no public way to make an NIO event
 * loop select now, and java.nio closes a closed channel's descriptor only at its Selector's
 * next select. This calls NioIoHandler.selectNow() (package-private) on the loop's own
 * thread, through reflection. If a Netty release renames either member, it fails loudly: a
 * silent fallback would bring back the listener that accepts after its close.
 */
final class SelectNow {
    private static final Field IO_HANDLER;
    private static final Method SELECT_NOW;

    static {
        try {
            IO_HANDLER = SingleThreadIoEventLoop.class.getDeclaredField("ioHandler");
            IO_HANDLER.setAccessible(true);
            SELECT_NOW = io.netty.channel.nio.NioIoHandler.class.getDeclaredMethod("selectNow");
            SELECT_NOW.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SelectNow() { }

    /** Must run on {@code loop}'s own thread (from a task submitted to it). */
    static void on(EventExecutor loop) {
        if (!loop.inEventLoop()) throw new IllegalStateException("selectNow off its event loop");
        try {
            IoHandler handler = (IoHandler) IO_HANDLER.get(loop);
            SELECT_NOW.invoke(handler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("NioIoHandler.selectNow: " + e, e);
        }
    }
}
