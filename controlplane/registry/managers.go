package registry

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// newFieldManagers returns one managedFields manager per subresource of k
// ("" for the main resource). Writes through a subresource are recorded
// with its name, so an apply that touches .spec.replicas after a
// `kubectl scale` conflicts with the "scale" manager, as upstream.
func newFieldManagers(k *Kind, deps Deps) (map[string]*managedfields.FieldManager, error) {
	subs := []string{""}
	if k.Status {
		subs = append(subs, "status")
	}
	if k.Scale != nil {
		subs = append(subs, "scale")
	}
	if k.Finalize != nil {
		subs = append(subs, "finalize")
	}
	obj, err := deps.Scheme.New(k.GroupVersionKind)
	if err != nil {
		return nil, err
	}
	def := defaulter{want: reflect.TypeOf(obj), strategy: k.Strategy}
	out := make(map[string]*managedfields.FieldManager, len(subs))
	for _, sub := range subs {
		fm, err := managedfields.NewDefaultFieldManager(deps.TypeConverter, deps.Scheme, def, deps.Scheme,
			k.GroupVersionKind, k.GroupVersion(), sub, resetFields(k, sub))
		if err != nil {
			return nil, err
		}
		out[sub] = fm
	}
	return out, nil
}

// resetFields are the fields a write through sub never owns: the main
// resource does not own status when status is a subresource, and status
// does not own spec.
func resetFields(k *Kind, sub string) map[fieldpath.APIVersion]fieldpath.Filter {
	var root string
	switch {
	case sub == "" && k.Status:
		root = "status"
	case sub == "status":
		root = "spec"
	default:
		return nil
	}
	set := fieldpath.NewSet(fieldpath.MakePathOrDie(root))
	return map[fieldpath.APIVersion]fieldpath.Filter{
		fieldpath.APIVersion(k.GroupVersion().String()): fieldpath.NewExcludeSetFilter(set),
	}
}

// defaulter applies the kind's defaults to objects of its type (server-side
// apply defaults the applied configuration before merging).
type defaulter struct {
	want     reflect.Type
	strategy Strategy
}

func (d defaulter) Default(obj runtime.Object) {
	if reflect.TypeOf(obj) == d.want {
		d.strategy.Default(obj)
	}
}
