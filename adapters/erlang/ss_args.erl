%% Request arguments: presence and JSON type (BADREQUEST), base64, timeouts, addresses
%% (same rules as reference_impl/engine.py Args, docs/protocol.md §2.1).
-module(ss_args).
-export([get/3, get/4, timeout/1, data/1, family/1, max/1, ip/2, port/1, handle/1, options/1]).

-define(DEFAULT_TIMEOUT, 5).

get(Args, Name, Kind) ->
    case maps:find(Name, Args) of
        {ok, Value} -> typed(Name, Kind, Value);
        error -> ss_err:bad(["missing argument ", Name])
    end.

get(Args, Name, Kind, Default) ->
    case maps:find(Name, Args) of
        {ok, null} -> Default;
        {ok, Value} -> typed(Name, Kind, Value);
        error -> Default
    end.

typed(Name, Kind, Value) ->
    case is(Kind, Value) of
        true -> Value;
        false -> ss_err:bad(["argument ", Name, " has the wrong type"])
    end.

is(int, V) -> is_integer(V);
is(number, V) -> is_number(V);
is(str, V) -> is_binary(V);
is(bool, V) -> is_boolean(V);
is(dict, V) -> is_map(V);
is(list, V) -> is_list(V).

%% Seconds as a number >= 0 (default 5) -> milliseconds.
timeout(Args) ->
    T = get(Args, <<"timeout">>, number, ?DEFAULT_TIMEOUT),
    T >= 0 orelse ss_err:bad("timeout must be >= 0"),
    round(T * 1000).

data(Args) ->
    Text = get(Args, <<"data">>, str),
    case re:run(Text, "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$", [{capture, none}]) of
        match -> base64:decode(Text);
        nomatch -> ss_err:bad("invalid base64 data")
    end.

family(Args) ->
    case get(Args, <<"family">>, str) of
        <<"ipv4">> -> inet;
        <<"ipv6">> -> inet6;
        Other -> ss_err:bad(["unknown family ", Other])
    end.

max(Args) ->
    M = get(Args, <<"max">>, int),
    M >= 1 orelse ss_err:bad("max must be >= 1"),
    M.

handle(Args) -> get(Args, <<"handle">>, int).

options(Args) -> get(Args, <<"options">>, dict, #{}).

%% A numeric host of the family (never a name: no resolution, ever).
ip(Host, inet) ->
    case inet:parse_ipv4strict_address(binary_to_list(Host)) of
        {ok, IP} -> IP;
        {error, _} -> ss_err:fail(<<"EINVAL">>, ["not a numeric IPv4 address: ", Host])
    end;
ip(Host, inet6) ->
    case inet:parse_ipv6strict_address(binary_to_list(Host)) of
        {ok, IP} -> IP;
        {error, _} -> ss_err:fail(<<"EINVAL">>, ["not a numeric IPv6 address: ", Host])
    end.

port(Port) when Port >= 0, Port =< 65535 -> Port;
port(Port) -> ss_err:fail(<<"EINVAL">>, io_lib:format("port out of range: ~p", [Port])).
