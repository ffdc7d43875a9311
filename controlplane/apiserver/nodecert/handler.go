package nodecert

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
)

// Request is the body of a POST to auth.NodeCertificatePath.
type Request struct {
	// CSR is a PEM "CERTIFICATE REQUEST" for system:node:<name> in
	// system:nodes.
	CSR string `json:"csr"`
}

// Response carries the signed certificate and the cluster CA, as PEM.
type Response struct {
	Certificate string `json:"certificate"`
	CA          string `json:"ca"`
}

// Signer issues client certificates (the cluster CA).
type Signer interface {
	SignClient(pub crypto.PublicKey, user string, groups []string) ([]byte, error)
}

// Handler signs node certificate requests. CAPEM is the cluster CA.
type Handler struct {
	Signer Signer
	CAPEM  []byte
}

// maxRequest bounds a request body: a CSR is well under a kilobyte.
const maxRequest = 64 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeStatus(w, apierrors.NewMethodNotSupported(nodeCertificates, strings.ToLower(r.Method)))
		return
	}
	var req Request
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequest)).Decode(&req); err != nil {
		writeStatus(w, apierrors.NewBadRequest(fmt.Sprintf("invalid node certificate request: %v", err)))
		return
	}
	csr, node, err := parseCSR(req.CSR)
	if err != nil {
		writeStatus(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	der, err := h.Signer.SignClient(csr.PublicKey, auth.NodeUserPrefix+node, []string{auth.NodesGroup})
	if err != nil {
		writeStatus(w, apierrors.NewInternalError(err))
		return
	}
	slog.InfoContext(r.Context(), "node certificate issued", "node", node, "by", userName(r))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Response{
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		CA:          string(h.CAPEM),
	})
}

// nodeCertificates names the endpoint in errors.
var nodeCertificates = schema.GroupResource{Group: "skiff", Resource: "node-certificate"}

// parseCSR checks a request: well-formed, signed by its key, for
// system:node:<name> (a DNS subdomain) in system:nodes only.
func parseCSR(data string) (*x509.CertificateRequest, string, error) {
	block, _ := pem.Decode([]byte(data))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, "", errors.New("csr: no PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, "", fmt.Errorf("csr: %w", err)
	}
	node, ok := strings.CutPrefix(csr.Subject.CommonName, auth.NodeUserPrefix)
	if !ok || len(validation.IsDNS1123Subdomain(node)) > 0 {
		return nil, "", fmt.Errorf("csr: common name %q is not system:node:<node name>", csr.Subject.CommonName)
	}
	if !slices.Equal(csr.Subject.Organization, []string{auth.NodesGroup}) {
		return nil, "", fmt.Errorf("csr: organization must be [%s], not %v", auth.NodesGroup, csr.Subject.Organization)
	}
	return csr, node, nil
}

func userName(r *http.Request) string {
	if u := auth.UserFrom(r.Context()); u != nil {
		return u.Name
	}
	return ""
}

// writeStatus answers with err's API Status, as the API server does.
func writeStatus(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.Status()
	st.Kind, st.APIVersion = "Status", "v1"
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(st.Code))
	_ = json.NewEncoder(w).Encode(st)
}
