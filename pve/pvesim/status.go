package pvesim

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
)

// writeStatus writes a response whose status line carries Proxmox's
// message ("HTTP/1.1 500 VM 100 not running"). net/http writes only the
// standard reason phrase, so for HTTP/1.x the connection is hijacked and the
// response written by hand; otherwise the message goes in a header too.
func writeStatus(w http.ResponseWriter, code int, msg string, body []byte) {
	if hj, ok := w.(http.Hijacker); ok {
		conn, rw, err := hj.Hijack()
		if err == nil {
			defer conn.Close()
			writeRaw(rw.Writer, code, msg, body)
			rw.Flush()
			return
		}
	}
	w.Header().Set("X-Pve-Message", msg)
	w.WriteHeader(code)
	w.Write(body)
}

func writeRaw(bw *bufio.Writer, code int, msg string, body []byte) {
	if msg == "" {
		msg = http.StatusText(code)
	}
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", code, msg)
	bw.WriteString("Content-Type: application/json;charset=UTF-8\r\n")
	bw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	bw.WriteString("Connection: close\r\n\r\n")
	bw.Write(body)
}
