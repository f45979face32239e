"""A tenant's schema name never changes: code, the shell and the admin all meet this trigger."""

from django.db import migrations

CREATE = """
CREATE FUNCTION tenants_tenant_schema_name_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.schema_name IS DISTINCT FROM OLD.schema_name THEN
        RAISE EXCEPTION 'tenants_tenant.schema_name is immutable (tenant %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER tenants_tenant_schema_name_immutable
    BEFORE UPDATE OF schema_name ON tenants_tenant
    FOR EACH ROW EXECUTE FUNCTION tenants_tenant_schema_name_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS tenants_tenant_schema_name_immutable ON tenants_tenant;
DROP FUNCTION IF EXISTS tenants_tenant_schema_name_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
