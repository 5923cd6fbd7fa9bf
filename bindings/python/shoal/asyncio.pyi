"""Type stubs for shoal.asyncio."""

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import shoal

class Socket(shoal.Socket):
    async def send(self, data: Any, flags: int = ..., copy: Optional[bool] = ..., track: bool = ...) -> Any: ...  # type: ignore[override]
    async def recv(self, flags: int = ..., copy: bool = ...) -> Any: ...  # type: ignore[override]
    async def send_multipart(self, msg_parts: Sequence[Any], flags: int = ..., copy: Optional[bool] = ..., track: bool = ...) -> Any: ...  # type: ignore[override]
    async def recv_multipart(self, flags: int = ..., copy: bool = ...) -> List[Any]: ...  # type: ignore[override]
    async def poll(self, timeout: Optional[int] = ..., flags: int = ...) -> int: ...  # type: ignore[override]
    async def send_string(self, u: str, flags: int = ..., copy: Optional[bool] = ..., encoding: str = ...) -> None: ...  # type: ignore[override]
    async def recv_string(self, flags: int = ..., encoding: str = ...) -> str: ...  # type: ignore[override]
    send_unicode = send_string
    recv_unicode = recv_string
    async def send_json(self, obj: Any, flags: int = ..., **kwargs: Any) -> None: ...  # type: ignore[override]
    async def recv_json(self, flags: int = ..., **kwargs: Any) -> Any: ...  # type: ignore[override]
    async def send_pyobj(self, obj: Any, flags: int = ..., protocol: int = ...) -> None: ...  # type: ignore[override]
    async def recv_pyobj(self, flags: int = ...) -> Any: ...  # type: ignore[override]
    async def send_serialized(self, msg: Any, serialize: Callable[[Any], Sequence[Any]], flags: int = ..., copy: Optional[bool] = ...) -> None: ...  # type: ignore[override]
    async def recv_serialized(self, deserialize: Callable[[List[Any]], Any], flags: int = ..., copy: bool = ...) -> Any: ...  # type: ignore[override]
    async def send_array(self, A: Any, flags: int = ..., copy: Optional[bool] = ..., track: bool = ...) -> Any: ...  # type: ignore[override]
    async def recv_array(self, flags: int = ..., copy: bool = ...) -> Any: ...  # type: ignore[override]

class Context(shoal.Context):
    def socket(self, socket_type: int, socket_class: Any = ..., **options: Any) -> Socket: ...  # type: ignore[override]

class Poller:
    def __init__(self) -> None: ...
    def register(self, socket: Any, flags: int = ...) -> None: ...
    def modify(self, socket: Any, flags: int = ...) -> None: ...
    def unregister(self, socket: Any) -> None: ...
    async def poll(self, timeout: Optional[float] = ...) -> List[Tuple[Any, int]]: ...
