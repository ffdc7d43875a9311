// Package ownerref holds what controllers do with ownerReferences: the
// controllerRef of the objects they make (controller=true,
// blockOwnerDeletion=true), finding the controller of an object through
// a lister, and claiming: adopting the orphans their selector matches
// and releasing the objects that no longer match, by patches that only
// touch ownerReferences and fail when the object was replaced
// meanwhile (metadata.uid in the patch), as upstream's
// ControllerRefManager.
package ownerref
