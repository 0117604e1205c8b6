FROM public.ecr.aws/docker/library/alpine:3 AS base
COPY --from=busybox:1 /bin/busybox /bin/busybox
