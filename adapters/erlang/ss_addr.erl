%% Addresses: inet's {IP, Port} and {local, Name} as the protocol writes them; addr.local
%% (inet:sockname) and addr.peer (inet:peername).
-module(ss_addr).
-export([local/1, peer/1, format/1, unix_format/1, sockname/1, peername/1]).

local(Args) ->
    {_, #{sock := S}} = ss_handles:socket(Args),
    sockname(S).

peer(Args) ->
    {_, #{sock := S}} = ss_handles:socket(Args),
    peername(S).

sockname(S) ->
    case inet:sockname(S) of
        {ok, Address} -> format(Address);
        {error, Reason} -> ss_err:throw_reason(Reason, "inet:sockname")
    end.

peername(S) ->
    case inet:peername(S) of
        {ok, Address} -> format(Address);
        {error, Reason} -> ss_err:throw_reason(Reason, "inet:peername")
    end.

format({local, Name}) -> unix_format(Name);
%% inet reports the source of a datagram from an unbound Unix socket (an empty address,
%% only sun_family) as {unspec, <<>>}
format({unspec, _}) -> #{<<"unnamed">> => true};
format({IP, Port}) -> #{<<"host">> => list_to_binary(inet:ntoa(IP)), <<"port">> => Port}.

unix_format(<<>>) -> #{<<"unnamed">> => true};
unix_format(<<0, Name/binary>>) -> #{<<"abstract">> => Name};
unix_format(Path) when is_binary(Path) -> #{<<"path">> => Path};
unix_format(Path) when is_list(Path) -> unix_format(unicode:characters_to_binary(Path)).
