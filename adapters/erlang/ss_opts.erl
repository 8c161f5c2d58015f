%% Options (protocol §7) as inet's options: inet:setopts / inet:getopts, and the options list
%% of gen_tcp:listen, gen_tcp:connect and gen_udp:open (inet applies those before bind).
%%
%% OTP 25 has no option for SO_REUSEPORT (reuseport arrived in OTP 26) nor for
%% IPV6_UNICAST_HOPS: those two use inet's own escape for options it has no name for,
%% {raw, Level, Option, Value} (README.md, "What the adapter sets").
-module(ss_opts).
-export([set/1, get/1, creation/2]).

-define(SOL_SOCKET, 1).
-define(SO_REUSEPORT, 15).
-define(IPPROTO_IPV6, 41).
-define(IPV6_UNICAST_HOPS, 16).

set(Args) ->
    {_, #{sock := S, fam := Fam}} = ss_handles:socket(Args),
    Name = ss_args:get(Args, <<"name">>, str),
    Value = case maps:find(<<"value">>, Args) of
                {ok, V} when is_boolean(V); is_integer(V); V =:= null -> V;
                {ok, V} when is_map(V), Name =:= <<"multicast_if">> -> V;  % 1.7: an interface object
                {ok, _} -> ss_err:bad("argument value has the wrong type");
                error -> ss_err:bad("missing argument value")
            end,
    Opt = option(Name, Value, Fam),
    case inet:setopts(S, [Opt]) of
        ok -> #{};
        {error, Reason} -> ss_err:throw_reason(Reason, ["inet:setopts ", Name])
    end.

get(Args) ->
    {_, #{sock := S, fam := Fam}} = ss_handles:socket(Args),
    Name = ss_args:get(Args, <<"name">>, str),
    Key = key(Name, Fam),
    case inet:getopts(S, [Key]) of
        {ok, [Reply]} -> #{<<"value">> => value(Name, Reply)};
        {ok, []} ->
            %% inet leaves out an option that does not apply to the socket (nodelay on a
            %% datagram socket, ipv6_v6only on an IPv4 one) instead of an error
            ss_err:supplied(<<"ENOPROTOOPT">>, ["inet:getopts ", Name, ": inet answered no value"]);
        {error, Reason} -> ss_err:throw_reason(Reason, ["inet:getopts ", Name])
    end.

%% The options argument of a creating operation, as inet options.
creation(Options, Fam) ->
    [option(Name, Value, Fam) || {Name, Value} <- lists:sort(maps:to_list(Options))].

bool(_, V) when is_boolean(V) -> V;
bool(Name, _) -> ss_err:bad(["option ", Name, " takes a bool"]).
int(_, V) when is_integer(V) -> V;
int(Name, _) -> ss_err:bad(["option ", Name, " takes an integer"]).

option(<<"reuseaddr">> = N, V, _) -> {reuseaddr, bool(N, V)};
option(<<"reuseport">> = N, V, _) -> {raw, ?SOL_SOCKET, ?SO_REUSEPORT, int32(b2i(bool(N, V)))};
option(<<"nodelay">> = N, V, _) -> {nodelay, bool(N, V)};
option(<<"keepalive">> = N, V, _) -> {keepalive, bool(N, V)};
option(<<"broadcast">> = N, V, _) -> {broadcast, bool(N, V)};
option(<<"v6only">> = N, V, _) -> {ipv6_v6only, bool(N, V)};
option(<<"rcvbuf">> = N, V, _) -> {recbuf, int(N, V)};
option(<<"sndbuf">> = N, V, _) -> {sndbuf, int(N, V)};
option(<<"linger">>, null, _) -> {linger, {false, 0}};
option(<<"linger">> = N, V, _) -> {linger, {true, int(N, V)}};
option(<<"ttl">> = N, V, inet6) -> {raw, ?IPPROTO_IPV6, ?IPV6_UNICAST_HOPS, int32(int(N, V))};
option(<<"ttl">> = N, V, _) -> {ttl, int(N, V)};
option(<<"tos">> = N, V, inet6) -> {tclass, int(N, V)};
option(<<"tos">> = N, V, _) -> {tos, int(N, V)};
option(<<"multicast_", _/binary>> = N, V, Fam) -> ss_mcast:option(N, V, Fam);  % 1.7
option(Name, _, _) -> ss_err:unsupported(["unknown option ", Name]).

key(<<"reuseaddr">>, _) -> reuseaddr;
key(<<"reuseport">>, _) -> {raw, ?SOL_SOCKET, ?SO_REUSEPORT, 4};
key(<<"nodelay">>, _) -> nodelay;
key(<<"keepalive">>, _) -> keepalive;
key(<<"broadcast">>, _) -> broadcast;
key(<<"v6only">>, _) -> ipv6_v6only;
key(<<"rcvbuf">>, _) -> recbuf;
key(<<"sndbuf">>, _) -> sndbuf;
key(<<"linger">>, _) -> linger;
key(<<"ttl">>, inet6) -> {raw, ?IPPROTO_IPV6, ?IPV6_UNICAST_HOPS, 4};
key(<<"ttl">>, _) -> ttl;
key(<<"tos">>, inet6) -> tclass;
key(<<"tos">>, _) -> tos;
key(<<"multicast_", _/binary>> = N, _) -> ss_mcast:key(N);  % 1.7
key(Name, _) -> ss_err:unsupported(["unknown option ", Name]).

value(<<"reuseport">>, {raw, _, _, Bin}) -> int_of(Bin) =/= 0;
value(<<"ttl">>, {raw, _, _, Bin}) -> int_of(Bin);
value(<<"linger">>, {linger, {false, _}}) -> null;
value(<<"linger">>, {linger, {true, T}}) -> T;
value(<<"multicast_", _/binary>> = N, Reply) -> ss_mcast:value(N, Reply, none);
value(_, {_, V}) -> V.

b2i(true) -> 1;
b2i(false) -> 0.
int32(N) -> <<N:32/signed-native>>.
int_of(<<N:32/signed-native>>) -> N;
int_of(Bin) -> binary:decode_unsigned(Bin, little).
