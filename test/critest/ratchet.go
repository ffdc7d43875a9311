package main

import "sort"

// verdict compares a run with passing.txt. Listed specs must pass; others
// may do anything, and those that pass are suggested for the list.
type verdict struct {
	regressed    []specResult // listed and failed
	missing      []specResult // listed and skipped, not run, or not in the report
	unchecked    []string     // listed and left out by -focus/-skip
	newlyPassing []string     // passed and not listed, sorted
}

// ok reports whether the run keeps the ratchet: no listed spec failed or
// went missing.
func (v verdict) ok() bool {
	return len(v.regressed) == 0 && len(v.missing) == 0
}

// compare checks a run against the listed specs. filtered says whether the
// run was narrowed by a filter; then a listed spec that was not run is
// unchecked rather than missing.
func compare(listed []string, r report, filtered bool) verdict {
	results := byName(r)
	var v verdict
	for _, name := range listed {
		res, ok := results[name]
		switch {
		case !ok:
			v.missing = append(v.missing, specResult{name: name, outcome: notRun, message: "not in critest's report: renamed or removed from critest?"})
		case res.outcome == passed:
		case res.outcome == failed:
			v.regressed = append(v.regressed, res)
		case res.outcome == notRun && filtered:
			v.unchecked = append(v.unchecked, name)
		default:
			v.missing = append(v.missing, res)
		}
	}
	isListed := make(map[string]bool, len(listed))
	for _, name := range listed {
		isListed[name] = true
	}
	for name, res := range results {
		if res.outcome == passed && !isListed[name] {
			v.newlyPassing = append(v.newlyPassing, name)
		}
	}
	sort.Strings(v.newlyPassing)
	return v
}

// byName indexes a report's specs by name. Should two specs share a name,
// a failure wins, so that neither can hide the other's.
func byName(r report) map[string]specResult {
	m := make(map[string]specResult, len(r.specs))
	for _, s := range r.specs {
		if prev, ok := m[s.name]; ok && prev.outcome == failed {
			continue
		}
		m[s.name] = s
	}
	return m
}

// updated returns pf listing the specs that passed in the run, plus, after
// a filtered run, the listed specs that the filter left out; the header is
// kept.
func updated(pf passingFile, v verdict, r report) passingFile {
	set := map[string]bool{}
	for _, name := range v.unchecked {
		set[name] = true
	}
	for name, res := range byName(r) {
		if res.outcome == passed {
			set[name] = true
		}
	}
	specs := make([]string, 0, len(set))
	for name := range set {
		specs = append(specs, name)
	}
	sort.Strings(specs)
	return passingFile{header: pf.header, specs: specs}
}
