package sockspec;

import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DatagramChannel;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.util.Enumeration;
import java.util.concurrent.TimeUnit;

/**
 * Multicast (protocol 1.7) with Netty's own API: udp.join is {@code
 * DatagramChannel.joinGroup(InetAddress, NetworkInterface, null)}, udp.leave {@code
 * leaveGroup(InetAddress, NetworkInterface, null)}; the interface object is looked up by
 * "name" (NetworkInterface.getByName), else "index" (getByIndex).
 *
 * {@code interface: null} is Netty's own variant without an interface, {@code
 * joinGroup(InetAddress)} / {@code leaveGroup(InetAddress)}: join takes the channel's
 * IP_MULTICAST_IF, else the interface that holds the address the channel is bound to; leave
 * takes only the latter. A channel bound to the wildcard address has none: Netty throws
 * NullPointerException("networkInterface") (ObjectUtil.checkNotNull) before any system call,
 * answered ENODEV (the kernel's name for a join that finds no interface), supplied.
 *
 * The transports differ underneath:
 * <ul>
 * <li>NIO: java.nio's DatagramChannel.join, whose MembershipKeys Netty keeps per group. A
 * second join of a joined group is java.nio's: the same key again, success. A leave drops the
 * keys Netty holds for that group and interface, and succeeds when it holds none (a group
 * never joined, a second leave, a non-multicast address).</li>
 * <li>epoll: LinuxSocket.joinGroup / leaveGroup, setsockopt IP_ADD_MEMBERSHIP /
 * IP_DROP_MEMBERSHIP (IPV6_ADD_MEMBERSHIP / IPV6_DROP_MEMBERSHIP) on the event loop, with the
 * kernel's errno (Errors.NativeIoException).</li>
 * </ul>
 */
final class Multicast {
    private Multicast() {
    }

    static JsonObject join(Handles handles, Args args) throws OpError {
        return membership(handles, args, true);
    }

    static JsonObject leave(Handles handles, Args args) throws OpError {
        return membership(handles, args, false);
    }

    static JsonObject membership(Handles handles, Args args, boolean join) throws OpError {
        String op = join ? "udp.join" : "udp.leave";
        Handles.Sock s = handles.get(args);
        DatagramChannel ch = (DatagramChannel) DatagramOps.datagram(s, op);
        StandardProtocolFamily family = s.family.equals("ipv4") ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
        InetAddress group = Addresses.parseHost(family, args.string("group"));
        JsonElement iface = args.raw.has("interface") ? args.raw.get("interface") : JsonNull.INSTANCE;
        NetworkInterface ni = null;
        if (!iface.isJsonNull()) {
            if (!iface.isJsonObject()) throw bad("argument 'interface' must be an object or null");
            ni = networkInterface(iface.getAsJsonObject());
        }
        String call = (join ? "joinGroup" : "leaveGroup") + (ni == null ? "(InetAddress)" : "(InetAddress, NetworkInterface, null)");
        // On the channel's event loop, as a handler calls it: the epoll transport's join and
        // leave run there anyway (EpollDatagramChannel.joinGroup0), and a kernel error reaches
        // the caller only there. From another thread the future never completes: joinGroup0
        // catches IOException, but LinuxSocket's native call throws the kernel's error as an
        // unchecked ChannelException ("setsockopt() failed: Address already in use"), which the
        // event loop only logs ("A task raised an exception"). README.md, findings.
        final NetworkInterface iface0 = ni;
        final ChannelFuture[] future = new ChannelFuture[1];
        final Throwable[] thrown = new Throwable[1];
        io.netty.util.concurrent.Future<?> task = ch.eventLoop().submit(() -> {
            try {
                if (join) future[0] = iface0 == null ? ch.joinGroup(group) : ch.joinGroup(group, iface0, null);
                else future[0] = iface0 == null ? ch.leaveGroup(group) : ch.leaveGroup(group, iface0, null);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        if (!task.awaitUninterruptibly(5, TimeUnit.SECONDS)) throw OpError.supplied("EIO", call + ": the event loop did not run it within 5 s");
        Throwable failure = thrown[0];
        if (failure == null) {
            ChannelFuture f = future[0];
            if (!f.awaitUninterruptibly(5, TimeUnit.SECONDS)) throw OpError.supplied("EIO", call + ": its future not done after 5 s");
            failure = f.cause();
        }
        if (failure instanceof NullPointerException)
            throw OpError.supplied("ENODEV", call + ": NullPointerException: " + failure.getMessage()
                + " (Netty found no interface: no IP_MULTICAST_IF set, and no interface holds the address the channel is bound to)");
        if (failure != null) throw errorOf(failure, call);
        return new JsonObject();
    }

    /** An interface object ({name, index, address}) as a NetworkInterface: by name, else by index. */
    static NetworkInterface networkInterface(JsonObject iface) throws OpError {
        try {
            JsonElement name = iface.get("name");
            if (name != null && name.isJsonPrimitive() && name.getAsJsonPrimitive().isString()) {
                NetworkInterface ni = NetworkInterface.getByName(name.getAsString());
                if (ni == null) throw OpError.supplied("ENODEV", "NetworkInterface.getByName(\"" + name.getAsString() + "\") is null");
                return ni;
            }
            JsonElement index = iface.get("index");
            if (index != null && Args.isInteger(index)) {
                NetworkInterface ni = NetworkInterface.getByIndex(index.getAsInt());
                if (ni == null) throw OpError.supplied("ENODEV", "NetworkInterface.getByIndex(" + index.getAsInt() + ") is null");
                return ni;
            }
        } catch (SocketException | RuntimeException e) {
            throw errorOf(e, "NetworkInterface lookup");
        }
        throw bad("an interface object needs 'name' or 'index'");
    }

    /**
     * multicast_if read back as the system reports it: IPv4 the interface's address, IPv6 its
     * index. Netty's ChannelOption.IP_MULTICAST_IF answers a NetworkInterface, or null when unset
     * (both transports map the kernel's INADDR_ANY / index 0 to null); the IPv4 address is the
     * interface's first one, the one both transports set.
     */
    static JsonElement multicastIfValue(String family, NetworkInterface ni) {
        if (family.equals("ipv6")) return new JsonPrimitive(ni == null ? 0 : ni.getIndex());
        if (ni == null) return new JsonPrimitive("0.0.0.0");
        for (Enumeration<InetAddress> e = ni.getInetAddresses(); e.hasMoreElements(); ) {
            InetAddress a = e.nextElement();
            if (a instanceof Inet4Address) return new JsonPrimitive(a.getHostAddress());
        }
        return new JsonPrimitive("0.0.0.0");
    }
}
