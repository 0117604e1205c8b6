set -euo pipefail
back() {
  echo "smoke test failed: $1; rolling $SERVICE back to $PREVIOUS_TASK_DEFINITION" >&2
  aws ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$PREVIOUS_TASK_DEFINITION" --query service.taskDefinition --output text >&2 || echo "the rollback did not start: run make deploy, which restores the released image" >&2
  exit 1
}
# Outside its working hours (the schedule's scale-to-zero) the service has
# no task, and the load balancer answers 503 for it: say so.
desired="$(aws ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" --query 'services[0].desiredCount' --output text)"
if [ "$desired" = "0" ]; then
  back "$SERVICE has no tasks to answer (desired count 0: outside its working hours, or scaled to zero); release the change again when it runs tasks"
fi
for path in $SMOKE_PATHS; do
  for try in $(seq "$SMOKE_TRIES"); do
    code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time "$SMOKE_REQUEST_SECONDS" "$SMOKE_URL$path")" || back "$SMOKE_URL$path gave no answer within $SMOKE_REQUEST_SECONDS s (curl exit $?)"
    case "$code" in
      2??|3??) echo "smoke test: $SMOKE_URL$path answered $code ($try/$SMOKE_TRIES)" ;;
      *) back "$SMOKE_URL$path answered $code, want 2xx or 3xx" ;;
    esac
  done
done
