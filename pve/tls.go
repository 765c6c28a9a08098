package pve

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSConfig chooses how the Proxmox certificate is checked. The default is
// full verification against the system roots.
type TLSConfig struct {
	Insecure    bool   // PVE_VERIFY_SSL=false: no verification at all
	CAFile      string // PVE_CA_CERT: PEM file of a private CA, trusted beside the system roots
	Fingerprint string // PVE_TLS_FINGERPRINT: SHA-256 of the server certificate, AA:BB:... as Proxmox shows it
}

// ParseFingerprint accepts the colon-separated hex Proxmox shows (or plain hex)
// and returns the 32 bytes.
func ParseFingerprint(s string) ([]byte, error) {
	clean := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("PVE_TLS_FINGERPRINT must be a SHA-256 fingerprint: 32 bytes as hex, colon-separated like AB:CD:..., got %q", s)
	}
	return b, nil
}

func (t TLSConfig) build() (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case t.Fingerprint != "":
		want, err := ParseFingerprint(t.Fingerprint)
		if err != nil {
			return nil, err
		}
		// The chain is not checked against any root: the pin is the trust
		// anchor. It is still verification, and stricter than a CA: only
		// the one certificate whose hash was pinned is accepted.
		conf.InsecureSkipVerify = true
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if !bytes.Equal(got[:], want) {
				return fmt.Errorf("certificate fingerprint %s %w", FormatFingerprint(got[:]), errPinMismatch)
			}
			return nil
		}
	case t.Insecure:
		conf.InsecureSkipVerify = true
	case t.CAFile != "":
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("PVE_CA_CERT: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("PVE_CA_CERT %s holds no PEM certificate", t.CAFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// FormatFingerprint renders a hash as Proxmox does: upper-case hex pairs joined by colons.
func FormatFingerprint(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return strings.Join(parts, ":")
}

// errPinMismatch marks a server certificate that is not the pinned one.
var errPinMismatch = errors.New("does not match PVE_TLS_FINGERPRINT")

// certificateProblem returns nil when err is not a refused server
// certificate, and otherwise err with advice on the settings that fix it.
// Such a failure is not worth a retry: every attempt gets the same certificate.
func certificateProblem(err error) error {
	if errors.Is(err, errPinMismatch) {
		return err
	}
	var verr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &verr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) {
		return fmt.Errorf("%w (trust the cluster's CA with PVE_CA_CERT or pin its certificate with PVE_TLS_FINGERPRINT)", err)
	}
	return nil
}
