"""The ``data`` of successful answers: plausible ads objects and stats, seeded."""

import random

from ingest.fakeapi.calls import Call
from ingest.fakeapi.routes import COLLECTION, ITEM, STATS

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
DATA_MAX_ITEMS = 3
STATUSES = ("ACTIVE", "PAUSED", "DRAFT")
STATS_DAYS = 7


def entity_id(rng: random.Random) -> str:
    """An id like ``8wk12``: base36, always with a digit (as the dashboard's ``:id``)."""
    text = "".join(rng.choices(BASE36, k=rng.randint(3, 5)))
    cut = rng.randint(0, len(text))
    return text[:cut] + str(rng.randint(0, 9)) + text[cut:]


def _entity(
    rng: random.Random, call: Call, object_id: str | None = None, params: dict | None = None
) -> dict:
    """One ads object; ``params`` (default: the call's) may set its name and status."""
    params = call.params if params is None else params
    return {
        "id": object_id or entity_id(rng),
        "name": params.get("name") or f"{call.match.route.data_type} {rng.randint(1, 99_999)}",
        "account_id": call.account_id or entity_id(rng),
        "entity_status": params.get("entity_status") or rng.choice(STATUSES),
        "created_at": "2026-10-02T14:21:07Z",
        "updated_at": "2026-11-20T08:02:51Z",
        "currency": "USD",
        "servable": rng.random() < 0.8,
        "deleted": call.match.method == "DELETE",
    }


def _stats(rng: random.Random, call: Call) -> list[dict]:
    ids = [i for i in call.params.get("entity_ids", "").split(",") if i] or [entity_id(rng)]
    return [
        {
            "id": object_id,
            "id_data": [
                {
                    "segment": None,
                    "metrics": {
                        "impressions": [rng.randint(0, 90_000) for _ in range(STATS_DAYS)],
                        "engagements": [rng.randint(0, 900) for _ in range(STATS_DAYS)],
                        "billed_charge_local_micro": [
                            rng.randint(0, 9) * 1_000_000 for _ in range(STATS_DAYS)
                        ],
                    },
                }
            ],
        }
        for object_id in ids
    ]


def success_payload(rng: random.Random, call: Call) -> dict:
    """The body of a 200 for a non-batch call: ``data``, its type and the params echo."""
    kind, method = call.match.route.kind, call.match.method
    if kind == STATS:
        data: object = _stats(rng, call)
    elif kind == COLLECTION and method == "GET":
        data = [_entity(rng, call) for _ in range(rng.randint(1, DATA_MAX_ITEMS))]
    else:
        object_id = call.match.entity_id or (call.account_id if kind == ITEM else None)
        data = _entity(rng, call, object_id)
    payload = {"data_type": call.match.route.data_type, "data": data}
    if isinstance(data, list) and kind == COLLECTION:
        payload |= {"total_count": len(data), "next_cursor": None}
    return payload | {"request": {"params": call.params}}


def item_params(item: object) -> dict:
    """The ``params`` of a batch item (``{"operation_type": ..., "params": {...}}``)."""
    params = item.get("params") if isinstance(item, dict) else None
    return params if isinstance(params, dict) else {}


def batch_entities(rng: random.Random, call: Call) -> list[dict]:
    """One created or updated object per item of a batch call."""
    entities = []
    for item in call.items or []:
        params = {key: str(value) for key, value in item_params(item).items()}
        entities.append(_entity(rng, call, params.get("campaign_id"), params))
    return entities
