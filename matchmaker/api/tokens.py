"""The caller's own tokens: list them and revoke one (tokens are created in the portal)."""

from __future__ import annotations

from pydantic import BaseModel

from ..extensions import db
from ..records import ApiToken
from ..services import api_tokens
from . import bp, spec, user
from .common import get_or_404, json_response
from .docs_spec import responses
from .problems import ApiProblem
from .schemas.common import UtcDateTime

TAGS = ["tokens"]


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class TokenList(BaseModel):
    items: list[TokenOut]


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(id=token.id, name=token.name, prefix=token.prefix, scopes=token.scope_list,
                    created_at=token.created_at, expires_at=token.expires_at,
                    last_used_at=token.last_used_at, revoked_at=token.revoked_at)


@bp.get("/tokens")
@spec.validate(resp=responses({200: TokenList}), tags=TAGS)
def list_tokens():
    """Your tokens (never their secrets)."""
    return json_response(TokenList(items=[token_out(t) for t in api_tokens.tokens_of(user())]))


@bp.delete("/tokens/<int:token_id>")
@spec.validate(resp=responses({200: TokenOut}, 404), tags=TAGS)
def revoke_token(token_id: int):
    """Revoke one of your tokens (also the one you call with)."""
    token = get_or_404(ApiToken, token_id, "token")
    if token.user_id != user().id:
        raise ApiProblem(404, "No such token.")
    api_tokens.revoke_token(token, actor=user())
    db.session.refresh(token)
    return json_response(token_out(token))
