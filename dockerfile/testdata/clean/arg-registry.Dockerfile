ARG REGISTRY=public.ecr.aws/docker/library
ARG GO=1.26
FROM --platform=$BUILDPLATFORM ${REGISTRY}/golang:${GO} AS build
FROM ${REGISTRY}/alpine:3
COPY --from=build /a /a
COPY --from=0 /b /b
