package sockspec;

import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.util.Enumeration;

/**
 * Multicast (protocol 1.7): udp.join is {@code DatagramChannel.join(InetAddress,
 * NetworkInterface)}, which answers a {@link MembershipKey}; udp.leave is that key's
 * {@code drop()}. java.nio has no "leave" of its own: a program leaves with the key it was
 * given, so the adapter keeps each channel's keys (Handles.Sock.memberships) by group and
 * interface index.
 *
 * What java.nio does, reported as it is:
 * <ul>
 * <li>A second join of the same group on the same interface is answered with the same
 * MembershipKey, without a system call (sun.nio.ch.DatagramChannelImpl.innerJoin looks the
 * key up first): success, where the kernel says EADDRINUSE.</li>
 * <li>A leave of a group the channel holds no key for cannot be asked of java.nio at all:
 * the adapter answers EADDRNOTAVAIL (the kernel's name for it), supplied; a group that is not
 * a multicast address, EINVAL supplied, as java.nio's join answers it. A dropped key is
 * forgotten, so a second leave is answered the same way (MembershipKey.drop() itself is
 * silent when called twice).</li>
 * <li>A group that is not a multicast address: IllegalArgumentException("Group not a
 * multicast address"), EINVAL supplied (Errnos).</li>
 * </ul>
 *
 * The interface (absent is null, as for the reference): java.nio takes a NetworkInterface, looked up by the interface object's
 * "name" (NetworkInterface.getByName), else its "index" (getByIndex). {@code interface:
 * null} ("the system's choice": INADDR_ANY / index 0, the route to the group) cannot be
 * expressed: join throws NullPointerException without one. WORKAROUND (README.md): the
 * adapter asks the system for the route as a java.nio program would, by connecting a
 * throwaway DatagramChannel to the group and taking the interface of the local address the
 * kernel chose (NetworkInterface.getByInetAddress); no route there is ENODEV, supplied, as the
 * kernel answers a join with no route.
 */
final class Multicast {
    private Multicast() {
    }

    static JsonObject join(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        DatagramChannel ch = DatagramOps.datagram(s, "udp.join");
        InetAddress group = Addresses.parseHost(s.family, args.string("group"));
        NetworkInterface ni = interfaceArg(s, args, group);
        MembershipKey key;
        try {
            key = ch.join(group, ni);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "DatagramChannel.join");
        }
        // a repeated join answers the key it already gave (the same object): kept once
        s.memberships.put(membership(group, ni), key);
        return new JsonObject();
    }

    static JsonObject leave(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        DatagramOps.datagram(s, "udp.leave");
        InetAddress group = Addresses.parseHost(s.family, args.string("group"));
        if (!group.isMulticastAddress()) // what java.nio's join answers for it: no key can exist
            throw OpError.supplied("EINVAL", "udp.leave: " + args.string("group")
                + " is not a multicast address (java.nio's join refuses it: IllegalArgumentException)");
        NetworkInterface ni = interfaceArg(s, args, group);
        MembershipKey key = ni == null ? null : s.memberships.remove(membership(group, ni));
        if (key == null)
            throw OpError.supplied("EADDRNOTAVAIL", "udp.leave: this channel holds no MembershipKey for "
                + args.string("group") + " on " + (ni == null ? "any interface" : ni.getName())
                + " (java.nio leaves a group only through the key its join answered)");
        try {
            key.drop();
        } catch (RuntimeException e) {
            throw errorOf(e, "MembershipKey.drop");
        }
        return new JsonObject();
    }

    static String membership(InetAddress group, NetworkInterface ni) {
        return Addresses.ntop(group) + "%" + ni.getIndex();
    }

    /** The "interface" argument of udp.join / udp.leave as java.nio's NetworkInterface. */
    static NetworkInterface interfaceArg(Handles.Sock s, Args args, InetAddress group) throws OpError {
        JsonElement iface = args.raw.has("interface") ? args.raw.get("interface") : com.google.gson.JsonNull.INSTANCE;
        if (iface.isJsonNull()) {
            // not a group at all: no route to look up; join passes null on and java.nio refuses the group
            if (!group.isMulticastAddress()) return null;
            return routeTo(s.family, group);
        }
        if (!iface.isJsonObject()) throw bad("argument 'interface' must be an object or null");
        return networkInterface(iface.getAsJsonObject());
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
     * WORKAROUND for {@code interface: null} (java.nio's join needs a NetworkInterface): the
     * interface of the route to the group, as the kernel picks it for INADDR_ANY / index 0 —
     * a throwaway DatagramChannel connected to the group (no datagram is sent) reports the
     * local address the kernel chose for that route.
     */
    static NetworkInterface routeTo(StandardProtocolFamily family, InetAddress group) throws OpError {
        try (DatagramChannel probe = DatagramChannel.open(family)) {
            probe.connect(new InetSocketAddress(group, 9));
            InetAddress local = ((InetSocketAddress) probe.getLocalAddress()).getAddress();
            NetworkInterface ni = NetworkInterface.getByInetAddress(local);
            if (ni == null) throw OpError.supplied("ENODEV", "no interface holds " + local + ", the route's source to " + group);
            return ni;
        } catch (IOException | RuntimeException e) {
            OpError err = errorOf(e, "route to " + Addresses.ntop(group) + " (interface null)");
            if (err.code.equals("ENETUNREACH") || err.code.equals("EHOSTUNREACH"))
                throw OpError.supplied("ENODEV", err.getMessage()); // the kernel's join: ENODEV without a route
            throw err;
        }
    }

    /** multicast_if read back as the system reports it: IPv4 the interface's address, IPv6 its index. */
    static JsonElement multicastIfValue(StandardProtocolFamily family, NetworkInterface ni) {
        if (family == StandardProtocolFamily.INET6) return new JsonPrimitive(ni == null ? 0 : ni.getIndex());
        if (ni == null) return new JsonPrimitive("0.0.0.0"); // java.nio answers null for INADDR_ANY
        // the JDK sets (and getsockopt answers) the interface's first IPv4 address
        // (sun.nio.ch.Net.anyInet4Address); getOption maps it back to the interface
        for (Enumeration<InetAddress> e = ni.getInetAddresses(); e.hasMoreElements(); ) {
            InetAddress a = e.nextElement();
            if (a instanceof Inet4Address) return new JsonPrimitive(a.getHostAddress());
        }
        return new JsonPrimitive("0.0.0.0");
    }
}
