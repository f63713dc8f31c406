#!/usr/bin/python
# One module run per host (instead of a task per step): the unit states, the health URLs and the
# unit states again, so a deploy of many hosts pays for one task here.
DOCUMENTATION = r"""
module: vmha_service_health
short_description: Fail unless every unit is active, every health URL answers 200 and no unit restarted while checked
options:
  units: {type: list, elements: str, default: [], description: systemd units that must be active}
  urls: {type: list, elements: str, default: [], description: Health URLs on the host that must answer 200}
  wait_seconds: {type: int, default: 60, description: How long each URL may take to answer 200}
"""
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vmha_unit_health import health_problems


def main():
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "str", "default": []},
            "urls": {"type": "list", "elements": "str", "default": []},
            "wait_seconds": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    params = module.params
    problems = health_problems(params["units"], params["urls"], params["wait_seconds"])
    if problems:
        module.fail_json(msg="; ".join(problems) + " (see journalctl -u <unit> on the host)", problems=problems)
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
