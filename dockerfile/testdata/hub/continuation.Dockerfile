FROM public.ecr.aws/docker/library/alpine:3 AS base
FROM \
    bitnami/nginx:1.27 \
    AS web
