package controller

import (
	"context"
	"errors"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestUpdateStatus: the status is written on a copy; one conflict is
// retried on a fresh read, whose own fields are kept; a second conflict,
// another error, a failed read or a replaced object end the write.
func TestUpdateStatus(t *testing.T) {
	conflict := apierrors.NewConflict(appsv1.Resource("replicasets"), "web", errors.New("stale"))
	broken := errors.New("broken")
	tests := []struct {
		name       string
		writes     []error // the answer of each write, in turn
		freshUID   types.UID
		getErr     error
		wantErr    error // nil: no error
		wantWrites int
		wantFresh  bool // the object written last is the fresh read
	}{
		{name: "written at once", writes: []error{nil}, wantWrites: 1},
		{name: "a conflict, then written", writes: []error{conflict, nil}, freshUID: "uid", wantWrites: 2, wantFresh: true},
		{name: "two conflicts", writes: []error{conflict, conflict}, freshUID: "uid", wantErr: conflict, wantWrites: 2, wantFresh: true},
		{name: "another error is not retried", writes: []error{broken}, wantErr: broken, wantWrites: 1},
		{name: "the fresh read fails", writes: []error{conflict}, getErr: broken, wantErr: broken, wantWrites: 1},
		{name: "replaced meanwhile", writes: []error{conflict}, freshUID: "other", wantErr: ErrReplaced, wantWrites: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", UID: "uid", ResourceVersion: "1"}}
			var written []*appsv1.ReplicaSet
			update := func(_ context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
				err := tc.writes[len(written)]
				written = append(written, rs)
				if err != nil {
					return nil, err
				}
				return rs, nil
			}
			get := func(_ context.Context, ns, name string) (*appsv1.ReplicaSet, error) {
				if ns != "default" || name != "web" {
					return nil, fmt.Errorf("get %s/%s", ns, name)
				}
				return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: tc.freshUID, ResourceVersion: "2"}}, tc.getErr
			}
			got, err := UpdateStatus(context.Background(), rs, func(rs *appsv1.ReplicaSet) { rs.Status.Replicas = 3 }, update, get)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if len(written) != tc.wantWrites {
				t.Fatalf("%d writes, want %d", len(written), tc.wantWrites)
			}
			if rs.Status.Replicas != 0 {
				t.Errorf("the object passed in was changed")
			}
			last := written[len(written)-1]
			if last.Status.Replicas != 3 {
				t.Errorf("written status %+v", last.Status)
			}
			if fresh := last.ResourceVersion == "2"; fresh != tc.wantFresh {
				t.Errorf("last write from the fresh read: %v, want %v", fresh, tc.wantFresh)
			}
			if err == nil && got != last {
				t.Errorf("returned %p, not the object written last %p", got, last)
			}
		})
	}
}
