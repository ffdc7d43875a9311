package openapi

// param is a path or query parameter of an operation.
type param struct {
	name, in, typ, desc string
	required            bool
}

func query(name, typ, desc string) param {
	return param{name: name, in: "query", typ: typ, desc: desc}
}

func pathParam(name, desc string) param {
	return param{name: name, in: "path", typ: "string", desc: desc, required: true}
}

var (
	namespaceParam = pathParam("namespace", "Namespace of the object.")
	nameParam      = pathParam("name", "Name of the object.")

	dryRun          = query("dryRun", "string", "All: run every stage of the request but persist nothing.")
	fieldManager    = query("fieldManager", "string", "Name of the actor making the change, recorded in managedFields. Required for apply patches.")
	fieldValidation = query("fieldValidation", "string", "What to do with unknown or duplicate fields in the body: Ignore, Warn or Strict (reject them with 400 Bad Request).")
	force           = query("force", "boolean", "Apply patches only: take over fields that other managers own instead of failing with a conflict.")

	gracePeriod = query("gracePeriodSeconds", "integer", "Seconds the object has to terminate before it is removed; 0 deletes at once.")
	propagation = query("propagationPolicy", "string", "What happens to dependents: Orphan, Background or Foreground.")

	labelSelector        = query("labelSelector", "string", "Only objects whose labels match this selector.")
	fieldSelector        = query("fieldSelector", "string", "Only objects whose fields match this selector.")
	limit                = query("limit", "integer", "Largest number of objects to return; the answer's metadata.continue fetches the rest.")
	continueToken        = query("continue", "string", "Token from a previous partial list, to fetch the next page.")
	resourceVersion      = query("resourceVersion", "string", "Version of the collection to list or to watch from.")
	resourceVersionMatch = query("resourceVersionMatch", "string", "How resourceVersion constrains a list: Exact or NotOlderThan.")
	timeoutSeconds       = query("timeoutSeconds", "integer", "Ends the list or watch after this many seconds.")
	watch                = query("watch", "boolean", "Stream ADDED, MODIFIED and DELETED events instead of listing.")
	allowBookmarks       = query("allowWatchBookmarks", "boolean", "Let the watch send BOOKMARK events that carry a newer resourceVersion.")
	sendInitialEvents    = query("sendInitialEvents", "boolean", "Watch only: start with an ADDED event per existing object, then a bookmark annotated k8s.io/initial-events-end.")
)

// Query parameters by verb.
var (
	writeParams = []param{dryRun, fieldManager, fieldValidation}
	patchParams = []param{dryRun, fieldManager, fieldValidation, force}

	deleteParams = []param{dryRun, gracePeriod, propagation}
	listParams   = []param{labelSelector, fieldSelector, limit, continueToken, resourceVersion, resourceVersionMatch, timeoutSeconds}
	watchParams  = []param{watch, allowBookmarks, sendInitialEvents}
)

// Query parameters of the pod subresources.
var (
	container = query("container", "string", "The container; optional when the pod has one.")
	stdin     = query("stdin", "boolean", "Attach the standard input.")
	stdout    = query("stdout", "boolean", "Attach the standard output.")
	stderr    = query("stderr", "boolean", "Attach the standard error.")
	tty       = query("tty", "boolean", "Allocate a terminal.")

	logParams = []param{
		container,
		query("follow", "boolean", "Stream the log as it grows."),
		query("previous", "boolean", "The log of the previous, terminated instance of the container."),
		query("sinceSeconds", "integer", "Only lines newer than this many seconds."),
		query("sinceTime", "string", "Only lines newer than this RFC 3339 time."),
		query("tailLines", "integer", "Only this many lines from the end."),
		query("timestamps", "boolean", "Prefix every line with its RFC 3339 time."),
		query("limitBytes", "integer", "Stop after this many bytes."),
	}
	execParams = []param{
		query("command", "string", "The command and its arguments, one parameter each."),
		container, stdin, stdout, stderr, tty,
	}
	attachParams      = []param{container, stdin, stdout, stderr, tty}
	portForwardParams = []param{query("ports", "integer", "Pod ports to forward.")}
)
