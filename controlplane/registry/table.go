package registry

import (
	"encoding/json"
	"fmt"
	"k8s.io/apimachinery/pkg/labels"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Table renders objs as a meta.k8s.io/v1 Table of the kind's Columns. Each row carries the object as includeObject asks (None,
// Metadata — the default — or Object).
func (s *Store) Table(objs []runtime.Object, include metav1.IncludeObjectPolicy, noHeaders bool) *metav1.Table {
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "Table"}}
	if !noHeaders {
		t.ColumnDefinitions = s.kind.Strategy.Columns()
	}
	t.Rows = make([]metav1.TableRow, 0, len(objs))
	for _, obj := range objs {
		row := metav1.TableRow{Cells: s.kind.Strategy.Row(obj)}
		switch include {
		case metav1.IncludeNone:
		case metav1.IncludeObject:
			row.Object.Raw, _ = json.Marshal(obj)
		default:
			row.Object.Raw, _ = json.Marshal(PartialMetadata(obj))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// PartialMetadata returns obj's metadata as a PartialObjectMetadata.
func PartialMetadata(obj runtime.Object) *metav1.PartialObjectMetadata {
	out := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"}}
	if a, ok := obj.(metav1.ObjectMetaAccessor); ok {
		if m, ok := a.GetObjectMeta().(*metav1.ObjectMeta); ok {
			out.ObjectMeta = *m
		}
	}
	return out
}

// ListItems returns the items of a list object.
func ListItems(list runtime.Object) []runtime.Object {
	items, _ := meta.ExtractList(list)
	return items
}

// NameColumn is the NAME column most kinds print first.
func NameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name",
		Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}
}

// AgeColumn is the AGE column every kind prints.
func AgeColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Age", Type: "string",
		Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}
}

// Age is the AGE cell of obj, as kubectl shows it ("5m3s", "<unknown>").
func Age(obj metav1.Object) string {
	ts := obj.GetCreationTimestamp()
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(ts.Time))
}

// Column is a shorthand for a column definition; priority 1 columns are
// shown with -o wide only.
func Column(name, typ, description string, priority int32) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: description, Priority: priority}
}

// MapSelector prints a map selector (a Service's, a node selector) as
// kubectl does: sorted k=v pairs, or <none>.
func MapSelector(sel map[string]string) string {
	if len(sel) == 0 {
		return "<none>"
	}
	return labels.SelectorFromSet(sel).String()
}

// Summarize prints at most three items of a list of total, as kubectl's
// ENDPOINTS columns: "a,b,c + 4 more...", or none when empty.
func Summarize(items []string, total int, none string) string {
	if total == 0 {
		return none
	}
	s := strings.Join(items, ",")
	if total > len(items) {
		s += fmt.Sprintf(" + %d more...", total-len(items))
	}
	return s
}
