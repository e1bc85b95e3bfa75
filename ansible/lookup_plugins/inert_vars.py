"""The inert_vars lookup: variables as plain data that Ansible never renders as a template."""

from __future__ import annotations

import json

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = """
name: inert_vars
short_description: Named variables as inert data
description:
  - Returns each named variable as it was read, converted to plain JSON data (strings, numbers,
    booleans, null, lists, mappings).
  - ansible-core 2.19 trusts values read with C(-e @file) as templates, so a string like
    C({{ lookup('pipe', 'touch /tmp/x') }}) in an extra-vars file runs when a task first reads
    it. This lookup reads the variable before any templating and drops Ansible's data tags;
    strings without the trust tag are never rendered, whatever they contain.
options:
  _terms:
    description: Names of the variables to return.
    required: true
"""

EXAMPLES = """
- name: Copy the site's data as inert text
  ansible.builtin.set_fact:
    site_data: "{{ lookup('inert_vars', 'berth') }}"
"""

RETURN = """
_list:
  description: One plain JSON value per name.
  type: list
"""


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        values = []
        for name in terms:
            if name not in variables:
                raise AnsibleLookupError(f"variable {name!r} is not defined")
            # The round trip through JSON text keeps only plain values: every data tag (the
            # TrustedAsTemplate one included) and every non-JSON type is gone.
            values.append(json.loads(json.dumps(variables[name])))
        return values
