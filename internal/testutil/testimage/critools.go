package testimage

import (
	"strconv"
)

// criToolsImages returns the gcr.io/k8s-staging-cri-tools images, rebuilt
// from cri-tools' images/*/Dockerfile and images/build (all FROM
// busybox:1.37.0). As the originals, all but hostnet-nginx-<arch> are
// multi-platform lists.
func criToolsImages(b *builder) ([]Image, error) {
	out, err := b.indexedAll([]step{
		// images/image-user: USER ${USER}.
		{[]string{criTools + "test-image-user-uid:latest"}, userSpec("1002")},
		{[]string{criTools + "test-image-user-username:latest"}, userSpec("www-data")},
		{[]string{criTools + "test-image-user-uid-group:latest"}, userSpec("1003:1004")},
		{[]string{criTools + "test-image-user-username-group:latest"}, userSpec("www-data:1004")},
		{[]string{criTools + "test-image-predefined-group:latest"}, predefinedGroupSpec()},
		// images/image-test: ADD ${TEST} ${TEST}, one image per TEST.
		{[]string{criTools + "test-image-1:latest"}, addFileSpec("test-image-1")},
		{[]string{criTools + "test-image-2:latest"}, addFileSpec("test-image-2")},
		{[]string{criTools + "test-image-3:latest"}, addFileSpec("test-image-3")},
		{[]string{criTools + "test-image-latest:latest"}, addFileSpec("test-image-latest")},
		{[]string{criTools + "test-image-digest:latest"}, addFileSpec("test-image-digest")},
		{[]string{criTools + "test-image-tag:test"}, addFileSpec("test")},
		{[]string{criTools + "test-image-tag:all"}, addFileSpec("all")},
		{[]string{criTools + "test-image-tags:1", criTools + "test-image-tags:2", criTools + "test-image-tags:3"}, addFileSpec("same-image")},
		// images/hostnet-nginx: nginx:1.25.0 listening on 12003 only.
		{[]string{criTools + "hostnet-nginx:latest"}, nginxSpec(HostNetNginxPort, "SIGQUIT")},
	})
	if err != nil {
		return nil, err
	}
	hostnet, err := b.plain(nginxSpec(HostNetNginxPort, "SIGQUIT"), HostNetNginx)
	if err != nil {
		return nil, err
	}
	return append(out, hostnet...), nil
}

func userSpec(user string) imageSpec {
	s := busyboxSpec(docker)
	s.config.User = user
	return s
}

// Predefined group image (images/image-predefined-group): user
// default-user (1000), group group-defined-in-image (50000) with
// default-user as member, USER 1000.
const (
	PredefinedUID   = 1000
	PredefinedGID   = 50000
	predefinedUser  = "default-user"
	predefinedGroup = "group-defined-in-image"
)

func predefinedGroupSpec() imageSpec {
	uid := strconv.Itoa(PredefinedUID)
	passwd := BasePasswd + predefinedUser + ":x:" + uid + ":" + uid + ":Linux User,,,:/home/" + predefinedUser + ":/bin/sh\n"
	group := BaseGroup + predefinedUser + ":x:" + uid + ":\n" +
		predefinedGroup + ":x:" + strconv.Itoa(PredefinedGID) + ":" + predefinedUser + "\n"
	shadow := baseShadow + predefinedUser + ":!:19723:0:99999:7:::\n"
	s := busyboxSpec(docker)
	s.config.User = uid
	s.layers = []layerSpec{{
		createdBy: "RUN adduser -u 1000 -D default-user && addgroup -g 50000 group-defined-in-image && addgroup default-user group-defined-in-image",
		entries: []entry{
			dir("etc", 0o755),
			file("etc/group", 0o644, group),
			file("etc/passwd", 0o644, passwd),
			file("etc/shadow", 0o600, shadow),
			dir("home", 0o755),
			dir("home/"+predefinedUser, 0o755).owned(PredefinedUID, PredefinedUID),
		},
	}}
	return s
}

// addFileSpec adds an empty file /<name>, as ADD ${TEST} ${TEST} does.
func addFileSpec(name string) imageSpec {
	s := busyboxSpec(docker)
	s.layers = []layerSpec{{
		createdBy: "ADD " + name + " " + name,
		entries:   []entry{file(name, 0o644, "")},
	}}
	return s
}
