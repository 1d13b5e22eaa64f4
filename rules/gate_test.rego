package fixops.gate_test

import rego.v1

import data.fixops.gate

finding(over) := object.union(
	{
		"key": "c0", "count": 1, "tool": "CodeQL", "rule_id": "js/sql-injection",
		"kind": "fail", "level": "error", "severity": "critical", "score": 9.8,
		"cwes": ["CWE-89"], "tags": [], "suppressed": false, "baseline_state": null,
		"category": "sast", "lifecycle": "new", "vex_status": null, "waived": false,
	},
	over,
)

run(fs) := {"findings": fs, "settings": {"new_only": false}}

new_only(fs) := {"findings": fs, "settings": {"new_only": true}}

rules_of(set) := {d.rule | some d in set}

test_error_level_critical_blocks if {
	ds := gate.block with input as run([finding({})])
	rules_of(ds) == {"FX-GATE-001"}
}

test_warning_level_critical_defers_not_blocks if {
	f := finding({"level": "warning"})
	count(gate.block) == 0 with input as run([f])
	rules_of(gate.defer) == {"FX-GATE-003"} with input as run([f])
}

test_high_defers if {
	ds := gate.defer with input as run([finding({"score": 7.5, "severity": "high"})])
	rules_of(ds) == {"FX-GATE-003"}
}

test_medium_allows if {
	inp := run([finding({"score": 6.9, "severity": "medium"})])
	count(gate.block) == 0 with input as inp
	count(gate.defer) == 0 with input as inp
}

test_suppressed_is_ignored if {
	inp := run([finding({"suppressed": true})])
	count(gate.block) == 0 with input as inp
	count(gate.defer) == 0 with input as inp
}

test_pass_kind_is_ignored if {
	count(gate.block) == 0 with input as run([finding({"kind": "pass"})])
}

test_unscored_critical_sca_blocks if {
	f := finding({
		"category": "sca", "level": "warning", "score": null, "severity": "critical",
		"vulnerability": {"id": "CVE-2021-44228", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
	})
	ds := gate.block with input as run([f])
	rules_of(ds) == {"FX-GATE-002"}
	some d in ds
	contains(d.message, "CVE-2021-44228")
}

test_blocked_finding_is_not_also_deferred if {
	count(gate.defer) == 0 with input as run([finding({})])
}

test_unscored_high_defers if {
	ds := gate.defer with input as run([finding({"score": null, "severity": "high", "level": "warning"})])
	rules_of(ds) == {"FX-GATE-003"}
}

test_waived_and_vex_suppressed_are_ignored if {
	count(gate.block) == 0 with input as run([finding({"waived": true})])
	count(gate.block) == 0 with input as run([finding({"vex_status": "not_affected"})])
	count(gate.block) == 0 with input as run([finding({"vex_status": "fixed"})])
	count(gate.block) == 1 with input as run([finding({"vex_status": "affected"})])
	count(gate.block) == 1 with input as run([finding({"vex_status": "under_investigation"})])
}

test_new_only_gates_new_and_reintroduced if {
	count(gate.block) == 0 with input as new_only([finding({"lifecycle": "unchanged"})])
	count(gate.block) == 1 with input as new_only([finding({"lifecycle": "new"})])
	count(gate.block) == 1 with input as new_only([finding({"lifecycle": "reintroduced"})])
	count(gate.block) == 1 with input as run([finding({"lifecycle": "unchanged"})])
}
