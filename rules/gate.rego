# fixops shipped gate policy.
#
# What it does: BLOCKs a release on critical security problems and DEFERs it
# (human review) on high ones.
#   FX-GATE-001 BLOCK  an unsuppressed code finding at SARIF level `error`
#                      whose security severity is 9.0 or more;
#   FX-GATE-002 BLOCK  an unsuppressed vulnerable dependency (SCA) whose
#                      score is 9.0 or more, or rated critical without a score;
#   FX-GATE-003 DEFER  any other unsuppressed problem scored 7.0 or more, or
#                      rated high/critical without a score.
# Why: a numeric security severity (GitHub's `security-severity`, CVSS) is the
# one signal every scanner shares; `error` level is the producer saying the
# finding is a real problem, not a hint.
# Thresholds live in `thresholds` so a team's own policy can read them.
package fixops.gate

import rego.v1

thresholds := {"block": 9.0, "defer": 7.0}

# A finding reports a problem, was not suppressed at its source, by VEX
# (not_affected / fixed) or by a waiver, and is in scope for this gate
# (with `--new-only`, only new and reintroduced issues are).
problem(f) if {
	f.kind in {"fail", "open", "review"}
	not f.suppressed
	not f.waived
	not f.vex_status in {"not_affected", "fixed"}
	in_scope(f)
}

in_scope(f) if not input.settings.new_only

in_scope(f) if f.lifecycle in {"new", "reintroduced"}

scored_at_least(f, t) if f.score >= t

unscored_rated(f, severities) if {
	f.score == null
	f.severity in severities
}

label(f) := sprintf("%s %s", [f.tool, f.rule_id]) if f.rule_id != null

label(f) := f.tool if f.rule_id == null

block contains d if {
	some f in input.findings
	problem(f)
	f.category != "sca"
	f.level == "error"
	scored_at_least(f, thresholds.block)
	d := {
		"finding": f.key,
		"rule": "FX-GATE-001",
		"message": sprintf("%s: security severity %v at error level (block at %v)", [label(f), f.score, thresholds.block]),
	}
}

block contains d if {
	some f in input.findings
	problem(f)
	f.category == "sca"
	critical_sca(f)
	d := {
		"finding": f.key,
		"rule": "FX-GATE-002",
		"message": sprintf("%s in %s: %s", [f.vulnerability.id, package_label(f), severity_label(f)]),
	}
}

critical_sca(f) if scored_at_least(f, thresholds.block)

critical_sca(f) if unscored_rated(f, {"critical"})

defer contains d if {
	some f in input.findings
	problem(f)
	high(f)
	not blocked(f.key)
	d := {
		"finding": f.key,
		"rule": "FX-GATE-003",
		"message": sprintf("%s: %s needs review (defer at %v)", [label(f), severity_label(f), thresholds.defer]),
	}
}

high(f) if scored_at_least(f, thresholds.defer)

high(f) if unscored_rated(f, {"high", "critical"})

blocked(key) if {
	some d in block
	d.finding == key
}

package_label(f) := f.vulnerability.purl if f.vulnerability.purl != null

package_label(f) := sprintf("%v@%v", [f.vulnerability.package, f.vulnerability.version]) if {
	f.vulnerability.purl == null
}

severity_label(f) := sprintf("score %v", [f.score]) if f.score != null

severity_label(f) := sprintf("rated %s", [f.severity]) if f.score == null
