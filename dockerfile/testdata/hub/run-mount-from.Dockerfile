FROM public.ecr.aws/docker/library/alpine:3
RUN --mount=type=bind,from=node:22,source=/usr/local,target=/n true
