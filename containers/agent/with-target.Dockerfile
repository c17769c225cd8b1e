# attachproof/agent-with-target:local: the agent image with a Go target beside it, for the case
# where the agent runs inside the target's own container (`docker exec` of the agent). The target
# runs as the container's main process; the agent is started beside it.
FROM attachproof/agent:local
COPY target /usr/local/bin/go-target
ENTRYPOINT ["/usr/local/bin/go-target"]
CMD ["-hold", "forever", "-goroutines", "8"]
