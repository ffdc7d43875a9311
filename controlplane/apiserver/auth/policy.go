package auth

import (
	"context"
	"slices"
	"strings"
)

// Rule allows verbs on resources, as an RBAC PolicyRule: "*" matches
// every verb, group or resource; Resources name subresources as
// "pods/status"; Names, when set, limit the rule to those objects (a
// create, which has no name yet, never matches a rule with Names).
// Paths are non-resource URLs instead, a trailing "*" matching a prefix.
type Rule struct {
	Verbs     []string
	APIGroups []string
	Resources []string
	Names     []string
	Paths     []string
}

// Allows reports whether the rule covers a.
func (r Rule) Allows(a Attributes) bool {
	if !matches(r.Verbs, a.Verb) {
		return false
	}
	if !a.ResourceRequest {
		return slices.ContainsFunc(r.Paths, func(p string) bool {
			prefix, wild := strings.CutSuffix(p, "*")
			return p == a.Path || wild && strings.HasPrefix(a.Path, prefix)
		})
	}
	res := a.Resource
	if a.Subresource != "" {
		res += "/" + a.Subresource
	}
	return len(r.Paths) == 0 && matches(r.APIGroups, a.APIGroup) && matches(r.Resources, res) &&
		(len(r.Names) == 0 || a.Name != "" && slices.Contains(r.Names, a.Name))
}

func matches(set []string, v string) bool {
	return slices.Contains(set, "*") || slices.Contains(set, v)
}

// Policy is a static authorization policy: rules for every authenticated
// user, and rules by user name and by group. It allows what a rule
// covers and has no opinion otherwise.
type Policy struct {
	Authenticated []Rule
	Users         map[string][]Rule
	Groups        map[string][]Rule
}

func (p *Policy) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User == nil {
		return NoOpinion, "", nil
	}
	rules := slices.Concat(p.Authenticated, p.Users[a.User.Name])
	for _, g := range a.User.Groups {
		rules = append(rules, p.Groups[g]...)
	}
	if slices.ContainsFunc(rules, func(r Rule) bool { return r.Allows(a) }) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}
