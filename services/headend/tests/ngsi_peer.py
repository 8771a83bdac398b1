"""The NGSI-LD peer test's other side: a third-party client (ngsildclient,
PyPI) reads the head-end as it would any context broker, and every entity
is checked against the JSON Schema the head-end serves for its type.

Usage: ngsi_peer.py HOST PORT TOKEN NOTIFY_URL — prints one JSON object.
"""

import json
import sys

import jsonschema
import requests
from ngsildclient import Client, SubscriptionBuilder


class Bearer(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def main():
    host, port, token, notify = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    base = f"http://{host}:{port}"
    client = Client(hostname=host, port=port, custom_auth=Bearer(token), verbose=False)
    types = sorted(client.types.list())
    counts, validated = {}, 0
    for t in types:
        entities = client.query(type=t)
        counts[t] = len(entities)
        assert client.count(type=t) == len(entities), t
        schema = requests.get(f"{base}/ngsi-ld/schemas/{t}.json").json()
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        for e in entities:
            # The same entity one by one, as the client reads it.
            again = client.get(e.id)
            assert again.id == e.id and again.type == t, (e.id, again.id)
            kv = requests.get(
                f"{base}/ngsi-ld/v1/entities/{e.id}",
                params={"options": "keyValues"},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            ).json()
            errors = sorted(validator.iter_errors(kv), key=lambda x: list(x.path))
            if errors:
                raise SystemExit(f"{e.id} does not fit {t}.json: {errors[0].message} at {list(errors[0].path)}")
            validated += 1
    open_shelters = client.query(type="Shelter", q='status=="open"')
    sub = SubscriptionBuilder(notify).select_type("Shelter").description("peer test").build()
    sid = client.subscriptions.create(sub)
    assert client.subscriptions.exists(sid), sid
    print(
        json.dumps(
            {
                "types": types,
                "counts": counts,
                "validated": validated,
                "open_shelters": len(open_shelters),
                "subscription": sid,
            }
        )
    )


if __name__ == "__main__":
    main()
