"""Everything a request carries that the server reads — its body, its query string, the
sign-in form — read one way: bounded, parsed and validated by a pydantic v2 model before
anything acts on it.

- A body over ``MOST_BODY`` bytes is 413, answered without reading the rest: a declared
  ``Content-Length`` over the bound is refused before a byte is read, and a streamed (chunked)
  body is read only up to the bound. The connection is closed after it.
- ``json_body(request, Model)`` parses the body straight into a pydantic v2 model
  (``Body``: unknown fields refused, strict types, every text bounded). JSON that does not
  parse, nests deeper than the parser's limit, holds a lone surrogate or invalid UTF-8, or
  does not fit the model is 400 with one line naming the field. No ``RecursionError`` can
  come out of it: pydantic-core's parser has its own depth limit and answers an error.
- ``query(request, Model)`` reads the query string, ``form_body(request, Model)`` a form
  (``application/x-www-form-urlencoded``, bounded as any body) into a ``Params`` model:
  values arrive as text (a number is parsed from it), each bounded; an empty value is as if
  absent, and a parameter the model does not declare is left unread (a link may carry the
  page's others). What does not fit is 400 with one line naming the field.
- Nothing a client sent is echoed longer than ``text.cut.MOST_ECHOED`` characters: a
  problem names the field (the model's name, never the client's) and says what it wants.

The app turns ``BadInput`` into ``{"error": ...}`` with its status (``app.build``), so a
route only writes ``body = await json_body(request, Model)`` or ``query(request, Model)``;
a page view that answers HTML catches it to say it on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    StringConstraints,
    ValidationError,
    model_validator,
)
from starlette.requests import Request

from mediakeeper.text.cut import echoed
from mediakeeper.web.answers import JSONResponse

# The largest body the API takes is one decision with a few tag values: a few hundred bytes.
# 64 KiB leaves room for long names and many tags, and caps what one request can make the
# server hold and parse (before the bound, a huge name was read whole and matched: measured
# in docs/performance.md).
MOST_BODY = 64 * 1024
MOST_TEXT = 4096  # a name, a path, a tag's value: PATH_MAX, more than any real one
MOST_WORD = 200  # a kind, a code, a tag's name, a session id
MOST_LINE = 1000  # characters of an error message: one line, whatever it repeats

Text = Annotated[str, StringConstraints(max_length=MOST_TEXT)]
Word = Annotated[str, StringConstraints(max_length=MOST_WORD)]


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    if len(value) > MOST_TEXT:
        raise ValueError(f"String should have at most {MOST_TEXT} characters")
    return value


# An item's key in a query: a folder's name as the file system has it, bounded as Text, its
# undecodable bytes kept (a Latin-1 folder's, read by ``query_fields``), which pydantic's own
# str refuses ("unable to parse raw data as a unicode string").
Name = Annotated[Any, PlainValidator(_name)]


class Body(BaseModel):
    """The base of every request body: fields not declared are refused (a ``"preview": true``
    the server does not know is never silently ignored), types are strict (``"yes"`` is no
    boolean, ``"3"`` no number), and each text field is bounded (``Text``, ``Word``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Params(BaseModel):
    """The base of every query string's and form's model: each value comes as text (a
    number is parsed from it: ``limit=20``), each text field bounded (``Text``, ``Word``);
    an empty value is as if absent (a form's field left blank); a parameter not declared
    is left unread, never acted on."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def blank_is_absent(cls, given: Any) -> Any:
        if isinstance(given, Mapping):
            return {name: value for name, value in given.items() if value != ""}
        return given


class BadInput(Exception):
    """A body, query or form the server will not act on: ``status`` and the one line that
    says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


async def bounded_body(request: Request, most: int = MOST_BODY) -> bytes:
    """The body's bytes, or ``BadInput(413)`` as soon as it is known to be over ``most``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > most:
        raise BadInput(413, _too_large(most))
    read = bytearray()
    async for chunk in request.stream():
        read += chunk
        if len(read) > most:
            raise BadInput(413, _too_large(most))
    return bytes(read)


Model = TypeVar("Model", bound=Body)
Asked = TypeVar("Asked", bound=Params)


async def json_body(request: Request, model: type[Model]) -> Model:
    """The body as ``model``, or ``BadInput``: 413 over the bound, 400 for anything else."""
    raw = await bounded_body(request)
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        raise BadInput(400, _first_problem(err)) from None


def parsed(given: Mapping[str, str], model: type[Asked]) -> Asked:
    """``given`` (a query's or a form's fields, one value each) as ``model``, or
    ``BadInput(400)`` naming the first field that does not fit."""
    try:
        return model.model_validate(dict(given))
    except ValidationError as err:
        raise BadInput(400, _first_problem(err)) from None


def query_fields(request: Request) -> dict[str, str]:
    """The request's query string's fields (a repeated parameter: its last value), each
    percent-encoded byte that is not UTF-8 (a link to an item whose folder name is Latin-1)
    read as the file name's undecodable byte it is, where Starlette's reading would make it
    a U+FFFD that names no item."""
    text = request.scope.get("query_string", b"").decode("latin-1")
    return dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8",
                          errors="surrogateescape"))  # fmt: skip


def query(request: Request, model: type[Asked]) -> Asked:
    """The request's query string as ``model`` (``query_fields``)."""
    return parsed(query_fields(request), model)


async def form_body(request: Request, model: type[Asked]) -> Asked:
    """A form's body (URL-encoded, bounded as any body) as ``model``."""
    raw = await bounded_body(request)
    try:
        fields = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw),
                           encoding="utf-8", errors="strict", max_num_fields=100)  # fmt: skip
    except ValueError:  # (UnicodeDecodeError too: bytes or escapes that are no UTF-8)
        raise BadInput(400, "the body must be a URL-encoded form of UTF-8 text") from None
    return parsed(dict(fields), model)


def _first_problem(err: ValidationError) -> str:
    problem = err.errors(include_url=False, include_context=False, include_input=False)[0]
    where = ".".join(echoed(str(part)) for part in problem["loc"])
    message = problem["msg"].removeprefix("Value error, ")  # a check of ours: its own words
    if problem["type"] == "json_invalid":
        return f"the body is not valid JSON: {message.removeprefix('Invalid JSON: ')}"
    if problem["type"] == "model_type":
        return "the body must be a JSON object"
    return f"{where}: {message}" if where else message


def _too_large(most: int) -> str:
    return f"the body is over {most // 1024} KiB; send less"


def refusal(request: Request, err: BadInput) -> JSONResponse:
    """The answer to ``err`` (the app's handler of ``BadInput``). A 413 closes the connection:
    the rest of the body is never read."""
    headers = {"Connection": "close"} if err.status == 413 else None
    return JSONResponse({"error": str(err)}, status_code=err.status, headers=headers)
