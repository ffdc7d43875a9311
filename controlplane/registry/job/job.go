// Package job is the strategy of batch/v1 Jobs, with the status
// subresource.
package job

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/workload"
)

// Kind describes jobs.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: batchv1.SchemeGroupVersion.WithKind("Job"),
		Resource:         "jobs", Singular: "job", Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		Strategy:   registry.Typed[*batchv1.Job](strategy{}),
	}
}

type strategy struct{}

// PrepareForCreate generates the selector from the job's uid and labels
// the template with it, as upstream does unless manualSelector is set.
func (strategy) PrepareForCreate(j *batchv1.Job) {
	if j.Spec.ManualSelector != nil && *j.Spec.ManualSelector {
		return
	}
	uid := string(j.UID)
	if j.Spec.Template.Labels == nil {
		j.Spec.Template.Labels = map[string]string{}
	}
	for k, v := range map[string]string{
		batchv1.ControllerUidLabel: uid, "controller-uid": uid,
		batchv1.JobNameLabel: j.Name, "job-name": j.Name,
	} {
		j.Spec.Template.Labels[k] = v
	}
	j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: uid}}
}

func (strategy) PrepareForUpdate(_, _ *batchv1.Job) {}

// Default sets upstream's SetDefaults_Job.
func (strategy) Default(j *batchv1.Job) {
	s := &j.Spec
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = workload.Ptr(int32(1))
	}
	if s.Parallelism == nil {
		s.Parallelism = workload.Ptr(int32(1))
	}
	if s.BackoffLimit == nil {
		s.BackoffLimit = workload.Ptr(int32(6))
	}
	if s.CompletionMode == nil {
		s.CompletionMode = workload.Ptr(batchv1.NonIndexedCompletion)
	}
	if s.Suspend == nil {
		s.Suspend = workload.Ptr(false)
	}
	if s.ManualSelector == nil {
		s.ManualSelector = workload.Ptr(false)
	}
	if s.PodReplacementPolicy == nil {
		s.PodReplacementPolicy = workload.Ptr(batchv1.TerminatingOrFailed)
	}
	pod.DefaultSpec(&s.Template.Spec)
}

func (strategy) Validate(j *batchv1.Job) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	for name, v := range map[string]*int32{"parallelism": j.Spec.Parallelism, "completions": j.Spec.Completions, "backoffLimit": j.Spec.BackoffLimit} {
		if v != nil && *v < 0 {
			errs = append(errs, field.Invalid(spec.Child(name), *v, "must be greater than or equal to 0"))
		}
	}
	if j.Spec.Selector == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, workload.ValidateSelector(j.Spec.Selector, &j.Spec.Template, spec)...)
	}
	errs = append(errs, pod.ValidateTemplate(&j.Spec.Template, spec.Child("template"))...)
	if rp := j.Spec.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyOnFailure && rp != corev1.RestartPolicyNever {
		errs = append(errs, field.NotSupported(spec.Child("template", "spec", "restartPolicy"), rp, []string{"OnFailure", "Never"}))
	}
	return errs
}

// ValidateUpdate: selector, template and completionMode are immutable.
func (strategy) ValidateUpdate(j, old *batchv1.Job) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	errs = append(errs, workload.ValidateSelectorUpdate(j.Spec.Selector, old.Spec.Selector)...)
	if !apiequality.Semantic.DeepEqual(j.Spec.Template, old.Spec.Template) {
		errs = append(errs, field.Invalid(spec.Child("template"), "<template>", "field is immutable"))
	}
	if !apiequality.Semantic.DeepEqual(j.Spec.CompletionMode, old.Spec.CompletionMode) {
		errs = append(errs, field.Invalid(spec.Child("completionMode"), j.Spec.CompletionMode, "field is immutable"))
	}
	return errs
}

func (strategy) SelectableFields(j *batchv1.Job) fields.Set {
	return fields.Set{"status.successful": fmt.Sprint(j.Status.Succeeded)}
}

func (strategy) Columns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Status", "string", "Status of the job.", 0),
		registry.Column("Completions", "string", "The desired number of successfully finished pods the job should be run with.", 0),
		registry.Column("Duration", "string", "Time required to complete the job.", 0),
		registry.AgeColumn(),
	}, workload.ContainerColumns()...)
}

func (strategy) Row(j *batchv1.Job) []any {
	completions := fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, workload.Int32(j.Spec.Parallelism, 1))
	if j.Spec.Completions != nil {
		completions = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	}
	var d string
	switch {
	case j.Status.StartTime == nil:
	case j.Status.CompletionTime == nil:
		d = duration.HumanDuration(time.Since(j.Status.StartTime.Time))
	default:
		d = duration.HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
	}
	return append([]any{j.Name, Status(j), completions, d, registry.Age(j)},
		workload.ContainerCells(&j.Spec.Template, j.Spec.Selector)...)
}

// Status is the STATUS column: Complete, Failed, Suspended, Terminating
// or Running, from the job's conditions.
func Status(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return "Complete"
		case batchv1.JobFailed:
			return "Failed"
		case batchv1.JobSuspended:
			return "Suspended"
		case batchv1.JobFailureTarget:
			return "FailureTarget"
		case batchv1.JobSuccessCriteriaMet:
			return "SuccessCriteriaMet"
		}
	}
	if j.DeletionTimestamp != nil {
		return "Terminating"
	}
	return "Running"
}
