FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY controller ./controller
RUN pip install --no-cache-dir . && useradd --uid 65532 --no-create-home controller
USER 65532
ENTRYPOINT ["asya-controller"]
CMD ["run"]
