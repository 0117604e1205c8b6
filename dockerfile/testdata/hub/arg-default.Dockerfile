ARG BASE=nginx:1.27-alpine
FROM ${BASE}
