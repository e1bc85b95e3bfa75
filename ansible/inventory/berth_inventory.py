#!/usr/bin/env python3
"""Ansible dynamic inventory of Berth's fleet.

Reads Berth's `GET /inventory` (an operator's credential with the read scope) and prints it in
Ansible's dynamic inventory format, so operators can run ad-hoc playbooks against the fleet:

    BERTH_URL=https://berth.example.org BERTH_TOKEN=... \\
        ansible -i ansible/inventory/berth_inventory.py status_ready -m ansible.builtin.ping

Groups: berth_sites, berth_pool and status_<site status>. Every host's variables come with
`--list` (in `_meta`), so `--host` prints an empty object. Standard library only.
"""

import argparse
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 30


def fail(message):
    print(f"berth_inventory: {message}", file=sys.stderr)
    sys.exit(1)


def fetch_inventory(base_url, token, ca_file):
    url = base_url.rstrip("/") + "/inventory"
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        # The body may say why (401, 403); the token is never printed.
        fail(f"{url} answered {error.code} {error.reason}")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        fail(f"cannot reach {url}: {error}")
    except json.JSONDecodeError:
        fail(f"{url} did not answer with JSON")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--list", action="store_true", help="print the whole inventory")
    group.add_argument("--host", help="print one host's variables (all are in --list)")
    args = parser.parse_args()

    if args.host is not None:
        print("{}")
        return
    base_url = os.environ.get("BERTH_URL")
    token = os.environ.get("BERTH_TOKEN")
    if not base_url or not token:
        fail("set BERTH_URL (the api's base URL) and BERTH_TOKEN (an operator's token)")
    inventory = fetch_inventory(base_url, token, os.environ.get("BERTH_CA_FILE"))
    json.dump(inventory, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
