from jinja2 import Environment

env = Environment(autoescape=False)


def greeting(name):
    template = env.from_string("<h1>Hello {{ name }}</h1>")
    return template.render(name=name)
